import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { IngestionService, IngestSource, parseTrackingMessage, TrackingEvent } from '@audiencekit/ingestion';
import {
  answersToTraits,
  parseQuizDefinition,
  QuizDefinition,
  QuizDefinitionException,
  QuizQuestion,
  QuizTraits,
} from '@audiencekit/segments-domain';
import type { ErrorDetail } from '@audiencekit/util';
import { sameDefinition } from '../same-definition';
import { QuizCreateInput, quizSubmissionSchema, QuizUpdateInput } from './quiz-input.schema';
import { QuizzesException } from './quizzes.exception';
import {
  findQuiz,
  insertQuiz,
  listQuizzes,
  lockQuiz,
  quizNumberStats,
  quizOptionCounts,
  quizSubmissionCounts,
  QuizRow,
  softDeleteQuiz,
  updateQuiz,
  versionExists,
} from './quizzes.repository';

export interface QuizView {
  id: string;
  key: string;
  title: string;
  owner: string;
  version: number;
  definition: QuizDefinition;
  versionCreatedAt: string;
  versionCreatedBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What a client (the embeddable page, an app) sees: the current version's questions, without the traits they set. */
export interface ServedQuiz {
  key: string;
  version: number;
  title: string;
  questions: {
    id: string;
    text: string;
    kind: QuizQuestion['kind'];
    required: boolean;
    options?: { value: string; label: string }[];
    min?: number;
    max?: number;
  }[];
}

export interface QuizStats {
  key: string;
  currentVersion: number;
  versions: {
    version: number;
    submissions: number;
    respondents: number;
    questions: {
      question: string;
      answered: number;
      options: { value: string; count: number }[];
      numbers: { count: number; min: number; max: number; mean: number } | null;
    }[];
  }[];
}

/** How a submission is received: its time, and what the receiving route does to the identify before it is stored. */
export interface QuizSubmissionOptions {
  receivedAt?: Date;
  /**
   * Called with the checked identify just before ingestion: the API passes the tracking API's
   * context enrichment (request address, IP → location, device type, IP retention) so answers are
   * stored like any /v1/identify.
   */
  enrich?: (events: TrackingEvent[]) => void;
}

export interface QuizSubmissionResult {
  success: true;
  version: number;
  /** The traits the identify set. */
  traits: QuizTraits;
  stored: number;
  duplicates: number;
}

/**
 * Quizzes and surveys (issue #24): versioned definitions (an admin card, immutable versions), the
 * client view of the current version, and submissions, which become ONE identify call through
 * `IngestionService` — the path `/v1/identify` takes — so answers are stitched, clamped and
 * consent-checked like any identify, and hand off to real-time segments the same way. Every check
 * (envelope, version, each answer) runs before ingestion is called: a refused submission writes nothing.
 */
@Injectable()
export class QuizzesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ingestion: IngestionService,
  ) {}

  async list(): Promise<QuizView[]> {
    return (await listQuizzes(this.dataSource.manager)).map(toView);
  }

  async get(key: string): Promise<QuizView> {
    return toView(await this.found(key));
  }

  async create(input: QuizCreateInput, actor: string | null): Promise<QuizView> {
    const definition = parseDefinition(input.definition);
    const created = await this.dataSource.transaction((manager) =>
      insertQuiz(manager, { key: input.key, title: definition.title, owner: input.owner }, definition, actor),
    );
    if (created === undefined)
      throw new QuizzesException('quiz_key_taken', `a quiz with key "${input.key}" exists`, [{ path: 'key', message: 'is taken' }]);
    return this.get(input.key);
  }

  /** A changed definition adds a version and makes it current (answers to the previous one expire); an unchanged one does not. */
  async update(key: string, input: QuizUpdateInput, actor: string | null): Promise<QuizView> {
    const definition = input.definition === undefined ? undefined : parseDefinition(input.definition);
    await this.dataSource.transaction(async (manager) => {
      const locked = await lockQuiz(manager, key);
      if (!locked) throw notFound(key);
      const current = (await findQuiz(manager, key)) as QuizRow;
      const changed = definition !== undefined && !sameDefinition(definition, current.definition) ? definition : undefined;
      await updateQuiz(manager, locked.id, { title: changed?.title ?? current.title, owner: input.owner ?? current.owner }, changed, actor);
    });
    return this.get(key);
  }

  async remove(key: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const locked = await lockQuiz(manager, key);
      if (!locked) throw notFound(key);
      await softDeleteQuiz(manager, locked.id);
    });
  }

  /** The current version as a client sees it (`GET /v1/quizzes/:key`). */
  async served(key: string): Promise<ServedQuiz> {
    const row = await this.found(key);
    const definition = row.definition as unknown as QuizDefinition;
    return {
      key: row.key,
      version: row.current_version,
      title: definition.title,
      questions: definition.questions.map((question) => ({
        id: question.id,
        text: question.text,
        kind: question.kind,
        required: question.required,
        ...(question.options
          ? { options: question.options.map((option) => ({ value: option.value, label: option.label ?? option.value })) }
          : {}),
        ...(question.min !== undefined ? { min: question.min } : {}),
        ...(question.max !== undefined ? { max: question.max } : {}),
      })),
    };
  }

  /**
   * Checks a submission and sends it as an identify with the answer time.
   * @throws {QuizzesException} `invalid_quiz_answers` (details `answers.<question id>` or the envelope's field),
   *   `quiz_version_expired` (details `version`), `quiz_not_found`, `quiz_answers_refused_for_client_key`.
   */
  async submit(key: string, body: unknown, source: IngestSource, options: QuizSubmissionOptions = {}): Promise<QuizSubmissionResult> {
    const receivedAt = options.receivedAt ?? new Date();
    const row = await this.found(key);
    const envelope = quizSubmissionSchema.safeParse(body);
    if (!envelope.success) {
      const details = envelope.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
      throw new QuizzesException('invalid_quiz_answers', `invalid answers to quiz "${key}": ${describe(details)}`, details);
    }
    const submission = envelope.data;
    if (submission.version !== row.current_version) {
      const existed = await versionExists(this.dataSource.manager, row.id, submission.version);
      const message = existed
        ? `has expired: version ${submission.version} was replaced by version ${row.current_version}; reload the quiz`
        : `is not a version of this quiz (current: ${row.current_version})`;
      throw new QuizzesException('quiz_version_expired', `version ${message}`, [{ path: 'version', message }]);
    }
    const mapped = answersToTraits(row.definition as unknown as QuizDefinition, submission.answers);
    if (!mapped.ok) {
      const details = mapped.problems.map((problem) => ({ path: `answers.${problem.question}`, message: problem.reason }));
      throw new QuizzesException('invalid_quiz_answers', `invalid answers to quiz "${key}": ${describe(details)}`, details);
    }
    // The message /v1/identify would receive: the same parser normalises ids and clamps the timestamp.
    const message = {
      type: 'identify',
      ...(submission.userId !== undefined ? { userId: submission.userId } : {}),
      ...(submission.anonymousId !== undefined ? { anonymousId: submission.anonymousId } : {}),
      ...(submission.messageId !== undefined ? { messageId: `quiz:${key}:${submission.messageId}` } : {}),
      ...(submission.timestamp !== undefined ? { timestamp: submission.timestamp } : {}),
      traits: mapped.traits,
      context: { library: { name: 'audiencekit-quizzes' }, quiz: { key, version: row.current_version, answers: submission.answers } },
    };
    const parsed = parseTrackingMessage(message, 'identify', { receivedAt, checkSize: false });
    if (!parsed.ok) {
      const details = parsed.errors.filter((problem) => !problem.path.startsWith('context'));
      throw new QuizzesException('invalid_quiz_answers', `invalid answers to quiz "${key}": ${describe(details)}`, details);
    }
    options.enrich?.([parsed.event]);
    const result = await this.ingestion.ingest([parsed.event], source);
    if (result.rejected.length > 0) {
      const problems = result.rejected[0].errors;
      throw new QuizzesException(
        'quiz_answers_refused_for_client_key',
        `answers refused for this write key (trust: client): ${describe(problems)}`,
        problems,
      );
    }
    return { success: true, version: row.current_version, traits: mapped.traits, stored: result.stored, duplicates: result.duplicates };
  }

  /**
   * Completion and answer distributions of the quiz's versions, from the identify events its answers
   * became (`context.quiz`: key, version, the checked answers). Per version: submissions, distinct
   * respondents (profiles now holding them, after merges), and per question how many answered it and
   * the count of each option (multi: each chosen option) or count / min / max / mean of the numbers.
   * Erased profiles' events are gone, so their answers are no longer counted.
   */
  async stats(key: string): Promise<QuizStats> {
    const row = await this.found(key);
    const manager = this.dataSource.manager;
    const [submissions, options, numbers] = await Promise.all([
      quizSubmissionCounts(manager, key),
      quizOptionCounts(manager, key),
      quizNumberStats(manager, key),
    ]);
    return {
      key,
      currentVersion: row.current_version,
      versions: submissions.map((version) => ({
        version: version.version,
        submissions: version.submissions,
        respondents: version.respondents,
        questions: version.answered.map(({ question, answered }) => ({
          question,
          answered,
          options: options
            .filter((option) => option.version === version.version && option.question === question)
            .map(({ value, count }) => ({ value, count })),
          numbers: numberSummary(numbers.find((number) => number.version === version.version && number.question === question)),
        })),
      })),
    };
  }

  private async found(key: string): Promise<QuizRow> {
    const row = await findQuiz(this.dataSource.manager, key);
    if (!row) throw notFound(key);
    return row;
  }
}

function parseDefinition(raw: unknown): QuizDefinition {
  try {
    return parseQuizDefinition(raw);
  } catch (error) {
    if (!(error instanceof QuizDefinitionException)) throw error;
    const details = error.issues.map((issue) => ({ path: issue.path ? `definition.${issue.path}` : 'definition', message: issue.message }));
    throw new QuizzesException('invalid_quiz', `invalid quiz definition: ${describe(details)}`, details);
  }
}

function numberSummary(
  row: { count: number; min: number; max: number; mean: number } | undefined,
): QuizStats['versions'][number]['questions'][number]['numbers'] {
  return row ? { count: row.count, min: row.min, max: row.max, mean: row.mean } : null;
}

function notFound(key: string): QuizzesException {
  return new QuizzesException('quiz_not_found', `no quiz with key "${key}"`);
}

function describe(details: readonly ErrorDetail[]): string {
  return details.map((detail) => `${detail.path || '(body)'} ${detail.message}`).join('; ');
}

function toView(row: QuizRow): QuizView {
  return {
    id: row.id,
    key: row.key,
    title: row.title,
    owner: row.owner,
    version: row.current_version,
    definition: row.definition as unknown as QuizDefinition,
    versionCreatedAt: row.version_created_at.toISOString(),
    versionCreatedBy: row.version_created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

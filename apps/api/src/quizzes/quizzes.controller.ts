import { randomBytes } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ContextEnricher } from '@audiencekit/ingestion';
import {
  quizCreateSchema,
  quizKeyParamsSchema,
  quizSubmissionSchema,
  QuizzesService,
  quizUpdateSchema,
  QuizzesException,
  renderQuizPage,
} from '@audiencekit/segments-service';
import {
  ApiException,
  ApiRoute,
  AuthenticatedKey,
  CurrentKey,
  Metrics,
  parseInput,
  presentedSecret,
  RequireRole,
  RequireWriteKey,
} from '@audiencekit/server-core';
import { acceptedTrackingBody, requestAddress, TrackingRequest } from '../tracking/tracking-body.middleware';
import { TrackingErrorFilter } from '../tracking/tracking-error.filter';

const quizSchema = z.object({
  id: z.string(),
  key: z.string(),
  title: z.string(),
  owner: z.string(),
  version: z.number().int(),
  definition: z.record(z.string(), z.unknown()),
  versionCreatedAt: z.string(),
  versionCreatedBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const servedSchema = z.object({
  key: z.string(),
  version: z.number().int(),
  title: z.string(),
  questions: z.array(
    z.object({
      id: z.string(),
      text: z.string(),
      kind: z.enum(['single', 'multi', 'number']),
      required: z.boolean(),
      options: z.array(z.object({ value: z.string(), label: z.string() })).optional(),
      min: z.number().optional(),
      max: z.number().optional(),
    }),
  ),
});
const submittedSchema = z.object({
  success: z.literal(true),
  version: z.number().int(),
  traits: z.record(z.string(), z.unknown()),
  stored: z.number().int(),
  duplicates: z.number().int(),
});

const statsSchema = z.object({
  key: z.string(),
  currentVersion: z.number().int(),
  versions: z.array(
    z.object({
      version: z.number().int(),
      submissions: z.number().int(),
      respondents: z.number().int(),
      questions: z.array(
        z.object({
          question: z.string(),
          answered: z.number().int(),
          options: z.array(z.object({ value: z.string(), count: z.number().int() })),
          numbers: z.object({ count: z.number().int(), min: z.number(), max: z.number(), mean: z.number() }).nullable(),
        }),
      ),
    }),
  ),
});

const ERRORS = 'A mistake is a 400 naming the field: invalid_quiz (definition.<path>); 409 quiz_key_taken.';

/** Quiz and survey definitions (libs/segments-service quizzes). Viewers read, marketers write; writes are audited. */
@Controller('quizzes')
export class QuizzesController {
  constructor(private readonly quizzes: QuizzesService) {}

  @Get()
  @RequireRole('viewer')
  @ApiRoute({ summary: 'Every quiz with its current version', response: z.array(quizSchema), tags: ['quizzes'] })
  list() {
    return this.quizzes.list();
  }

  @Post()
  @HttpCode(201)
  @RequireRole('marketer')
  @ApiRoute({
    summary: `Create a quiz or survey (version 1): questions, options and the trait each answer sets. ${ERRORS}`,
    body: quizCreateSchema,
    response: quizSchema,
    status: 201,
    tags: ['quizzes'],
  })
  create(@Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.quizzes.create(parseInput(quizCreateSchema, body), key?.id ?? null);
  }

  @Get(':key')
  @RequireRole('viewer')
  @ApiRoute({ summary: 'One quiz with its current version', response: quizSchema, tags: ['quizzes'] })
  get(@Param() params: unknown) {
    return this.quizzes.get(parseInput(quizKeyParamsSchema, params, 'params').key);
  }

  @Get(':key/stats')
  @RequireRole('viewer')
  @ApiRoute({
    summary:
      'Completion and answer distributions per version: submissions, respondents, per question answered count, option counts, number summary',
    response: statsSchema,
    tags: ['quizzes'],
  })
  stats(@Param() params: unknown) {
    return this.quizzes.stats(parseInput(quizKeyParamsSchema, params, 'params').key);
  }

  @Put(':key')
  @RequireRole('marketer')
  @ApiRoute({
    summary: `Change a quiz; a changed definition makes a new immutable version, and answers to the previous one are refused from then on (quiz_version_expired). ${ERRORS}`,
    body: quizUpdateSchema,
    response: quizSchema,
    tags: ['quizzes'],
  })
  update(@Param() params: unknown, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.quizzes.update(parseInput(quizKeyParamsSchema, params, 'params').key, parseInput(quizUpdateSchema, body), key?.id ?? null);
  }

  @Delete(':key')
  @HttpCode(204)
  @RequireRole('marketer')
  @ApiRoute({ summary: 'Delete a quiz (its versions are kept; answers to it are refused)', status: 204, tags: ['quizzes'] })
  async remove(@Param() params: unknown) {
    await this.quizzes.remove(parseInput(quizKeyParamsSchema, params, 'params').key);
  }
}

/**
 * What clients call, with a source's write key as the tracking API takes it (HTTP Basic user name,
 * Bearer or x-api-key). Answers become one identify through ingestion, with the key's trust, and
 * are received like `/v1/identify`: body read by `trackingBodyReader` (32 KB, gzip/deflate, 400
 * `body_too_large` / `invalid_json` / ...), context enriched by the tracking API's `ContextEnricher`,
 * counted in `audiencekit_ingest_events_total{route="quiz_answers"}`, 503 while the database is down.
 */
@Controller('v1/quizzes')
@RequireWriteKey()
export class QuizClientController {
  constructor(
    private readonly quizzes: QuizzesService,
    private readonly enricher: ContextEnricher,
    private readonly metrics: Metrics,
  ) {}

  @Get(':key')
  @ApiRoute({
    summary: "The quiz's current version: questions and options, without the traits they set",
    response: servedSchema,
    tags: ['tracking'],
  })
  served(@Param() params: unknown) {
    return this.quizzes.served(parseInput(quizKeyParamsSchema, params, 'params').key);
  }

  /**
   * The embeddable page: plain HTML and one inline script (allowed by a nonce in the page's own
   * CSP, which also lets any site frame it and the script call only this origin). The script posts
   * the answers with the write key that fetched the page, so the page is served for a client key
   * only (403 for a server key, which must never reach a browser).
   */
  @Get(':key/page')
  @ApiRoute({
    summary: 'A small embeddable HTML page of the quiz that posts to the answers route (client write keys only)',
    tags: ['tracking'],
  })
  async page(@Param() params: unknown, @Req() request: Request, @Res() response: Response, @CurrentKey() key?: AuthenticatedKey) {
    const quizKey = parseInput(quizKeyParamsSchema, params, 'params').key;
    if (key?.trust !== 'client')
      throw new ApiException(403, 'client_key_required', 'the quiz page embeds the write key that fetched it: use a client write key');
    const served = await this.quizzes.served(quizKey);
    const nonce = randomBytes(16).toString('base64');
    response.removeHeader('X-Frame-Options');
    response.setHeader(
      'Content-Security-Policy',
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors *`,
    );
    response.setHeader('Cache-Control', 'no-store');
    response.type('html').send(renderQuizPage(served, presentedSecret(request.headers) as string, nonce));
  }

  @Post(':key/answers')
  @HttpCode(200)
  @ApiRoute({
    summary:
      'Answer the current version: becomes an identify (stitched, consent-checked) setting the traits the answers map to, at the answer time. 400 invalid_quiz_answers naming answers.<question> (unknown question or option, missing required answer, out of range) or the field; 400 quiz_version_expired at version; 403 quiz_answers_refused_for_client_key; nothing is written on a refusal.',
    body: quizSubmissionSchema,
    response: submittedSchema,
    tags: ['tracking'],
  })
  @UseFilters(TrackingErrorFilter)
  async answer(@Param() params: unknown, @Req() request: TrackingRequest, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    const quizKey = parseInput(quizKeyParamsSchema, params, 'params').key;
    acceptedTrackingBody(request);
    try {
      const result = await this.quizzes.submit(
        quizKey,
        body,
        { sourceId: key?.id, trust: key?.trust },
        { enrich: (events) => this.enricher.enrich(events, requestAddress(request)) },
      );
      this.metrics.ingestEvents.inc({ route: 'quiz_answers', outcome: 'accepted' });
      return result;
    } catch (error) {
      // Refused answers count as rejected messages, as an invalid identify does; an unknown quiz is not a message.
      if (error instanceof QuizzesException && error.code !== 'quiz_not_found')
        this.metrics.ingestEvents.inc({ route: 'quiz_answers', outcome: 'rejected' });
      throw error;
    }
  }
}

import { EntityManager, In, IsNull } from 'typeorm';
import { DestinationEntity, SegmentEntity } from '@audiencekit/persistence';
import type { JourneyDefinition } from '@audiencekit/journeys';
import type { ErrorDetail } from '@audiencekit/util';
import { messageTemplateSchema } from '../activations/activation-input.schema';
import { messageComputedTraitRefs, unknownComputedTraitProblems } from '../computed-trait-references';
import type { ConnectorCatalog } from '../connectors/connector-catalog.service';

/**
 * What `validateJourneyDefinition` cannot know without the database (issue #23): the entry segment
 * and every branch's segment are live segments; each step's destination is live, its connector can do
 * the step (a `send` needs a send-time connector, an `audience` step one that keeps a list), and a
 * send's message is valid for that connector as an activation's is (text, html or templateId; an
 * email subject unless templateId; known computed traits). Paths are under `definition.`.
 */
export async function journeyDatabaseProblems(
  manager: EntityManager,
  catalog: ConnectorCatalog,
  definition: JourneyDefinition,
): Promise<ErrorDetail[]> {
  const problems: ErrorDetail[] = [];
  const segmentIds = [definition.entrySegmentId, ...branchSegments(definition).map((branch) => branch.segmentId)];
  const liveSegments = new Set(
    (await manager.getRepository(SegmentEntity).find({ select: { id: true }, where: { id: In(segmentIds), deletedAt: IsNull() } })).map(
      (segment) => segment.id,
    ),
  );
  if (!liveSegments.has(definition.entrySegmentId))
    problems.push({ path: 'definition.entrySegmentId', message: `no live segment ${definition.entrySegmentId}` });
  for (const branch of branchSegments(definition))
    if (!liveSegments.has(branch.segmentId)) problems.push({ path: branch.path, message: `no live segment ${branch.segmentId}` });

  const destinationIds = definition.steps.flatMap((step) => (step.type === 'send' || step.type === 'audience' ? [step.destination] : []));
  const destinations = new Map(
    (destinationIds.length
      ? await manager.getRepository(DestinationEntity).find({ where: { id: In([...new Set(destinationIds)]), deletedAt: IsNull() } })
      : []
    ).map((destination) => [destination.id, destination]),
  );
  for (const [index, step] of definition.steps.entries()) {
    if (step.type !== 'send' && step.type !== 'audience') continue;
    const at = `definition.steps[${index}]`;
    const destination = destinations.get(step.destination);
    if (!destination) {
      problems.push({ path: `${at}.destination`, message: `no destination ${step.destination}` });
      continue;
    }
    const connector = catalog.find(destination.connector);
    if (!connector) {
      problems.push({ path: `${at}.destination`, message: `connector "${destination.connector}" is not registered on this server` });
      continue;
    }
    if (step.type === 'send' && connector.deliveryModel !== 'send')
      problems.push({
        path: `${at}.destination`,
        message: `connector "${connector.slug}" keeps a list and cannot send a message: use an audience step, or a destination that sends`,
      });
    if (step.type === 'audience' && connector.deliveryModel !== 'list')
      problems.push({
        path: `${at}.destination`,
        message: `connector "${connector.slug}" sends messages and keeps no audience: use a send step, or a destination that keeps a list`,
      });
    if (step.type === 'send') problems.push(...(await messageProblems(manager, step.message, connector.channel, `${at}.message`)));
  }
  return problems;
}

/** The message of a send step, checked as an activation's message is (paths under `at`). */
async function messageProblems(
  manager: EntityManager,
  message: Record<string, unknown>,
  channel: string,
  at: string,
): Promise<ErrorDetail[]> {
  const parsed = messageTemplateSchema.safeParse(message);
  if (!parsed.success)
    return parsed.error.issues.map((issue) => ({ path: [at, ...issue.path.map(String)].join('.'), message: issue.message }));
  const problems: ErrorDetail[] = [];
  if (channel === 'email' && typeof message['subject'] !== 'string' && typeof message['templateId'] !== 'string')
    problems.push({ path: `${at}.subject`, message: 'is required for an email unless templateId is set' });
  const unknown = await unknownComputedTraitProblems(manager, messageComputedTraitRefs(message));
  problems.push(...unknown.map((problem) => ({ ...problem, path: problem.path.replace(/^message/, at) })));
  return problems;
}

function branchSegments(definition: JourneyDefinition): { segmentId: string; path: string }[] {
  return definition.steps.flatMap((step, index) =>
    step.type === 'branch' && 'inSegment' in step.condition
      ? [{ segmentId: step.condition.inSegment, path: `definition.steps[${index}].condition.inSegment` }]
      : [],
  );
}

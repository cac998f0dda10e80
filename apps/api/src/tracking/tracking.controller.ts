import { Body, Controller, HttpCode, Post, Req, UseFilters } from '@nestjs/common';
import { z } from 'zod';
import {
  batchEnvelopeSchema,
  ContextEnricher,
  IngestionService,
  MessageProblem,
  parseTrackingBatch,
  parseTrackingMessage,
  RejectedMessage,
  TRACKING_LIMITS,
  TRACKING_MESSAGE_SCHEMAS,
  TrackingMessageType,
} from '@audiencekit/ingestion';
import { ApiException, ApiRoute, AuthenticatedKey, CurrentKey, Metrics, RequireWriteKey } from '@audiencekit/server-core';
import { TrackingErrorFilter } from './tracking-error.filter';
import { acceptedTrackingBody, requestAddress, TrackingRequest } from './tracking-body.middleware';

const problemSchema = z.object({ path: z.string(), message: z.string() });
const singleResponse = z.object({ success: z.literal(true), stored: z.number().int(), duplicates: z.number().int() });
const batchResponse = singleResponse.extend({
  rejected: z.array(z.object({ index: z.number().int(), messageId: z.string().optional(), errors: z.array(problemSchema) })),
});

const single = (type: TrackingMessageType, summary: string) =>
  ApiRoute({ summary, body: TRACKING_MESSAGE_SCHEMAS[type], response: singleResponse, status: 200, tags: ['tracking'] });

/**
 * The Segment HTTP tracking API (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/).
 * Authenticated by a write key sent as the HTTP Basic user name, as Segment's and RudderStack's
 * libraries do. Bodies are read by `trackingBodyReader` (gzip, size limits); events are committed
 * before the 200.
 */
@Controller('v1')
@RequireWriteKey()
@UseFilters(TrackingErrorFilter)
export class TrackingController {
  constructor(
    private readonly ingestion: IngestionService,
    private readonly metrics: Metrics,
    private readonly enricher: ContextEnricher,
  ) {}

  @Post('identify')
  @HttpCode(200)
  @single('identify', 'Identify a user and set traits')
  identify(@Req() request: TrackingRequest, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.ingestOne('identify', request, body, key);
  }

  @Post('track')
  @HttpCode(200)
  @single('track', 'Record an action a user performed')
  track(@Req() request: TrackingRequest, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.ingestOne('track', request, body, key);
  }

  @Post('page')
  @HttpCode(200)
  @single('page', 'Record a page view')
  page(@Req() request: TrackingRequest, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.ingestOne('page', request, body, key);
  }

  @Post('screen')
  @HttpCode(200)
  @single('screen', 'Record a mobile screen view')
  screen(@Req() request: TrackingRequest, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.ingestOne('screen', request, body, key);
  }

  @Post('group')
  @HttpCode(200)
  @single('group', 'Associate a user with a group')
  group(@Req() request: TrackingRequest, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.ingestOne('group', request, body, key);
  }

  @Post('alias')
  @HttpCode(200)
  @single('alias', 'Merge a previous id into a user id')
  alias(@Req() request: TrackingRequest, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.ingestOne('alias', request, body, key);
  }

  /**
   * Up to 2,500 messages and 500 KB. `/v1/b` and `/v1/import` are the other names Segment
   * libraries have used for it. Invalid messages are reported and the valid ones stored.
   */
  @Post(['batch', 'b', 'import'])
  @HttpCode(200)
  @ApiRoute({
    summary: 'Send many messages at once (what the Segment and RudderStack libraries call)',
    body: batchEnvelopeSchema,
    response: batchResponse,
    status: 200,
    tags: ['tracking'],
  })
  async batch(@Req() request: TrackingRequest, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    const bytes = acceptedTrackingBody(request);
    const parsed = parseTrackingBatch(body, { receivedAt: new Date(), checkSize: bytes > TRACKING_LIMITS.maxMessageBytes });
    if (!parsed.ok) throw invalid('invalid_batch', 'invalid batch', parsed.errors);
    const { events, eventIndexes, rejected } = parsed.batch;
    this.count('batch', 'rejected', rejected.length);
    if (events.length === 0 && rejected.length > 0) {
      throw invalid('invalid_batch', `no message of the batch is valid (${rejected.length} rejected)`, rejectedDetails(rejected));
    }
    this.enricher.enrich(events, requestAddress(request));
    const result = await this.ingestion.ingest(events, { sourceId: key?.id, trust: key?.trust });
    // What the source's trust did not allow is reported like an invalid message, by its batch index.
    const refused = result.rejected.map((rejection) => ({ ...rejection, index: eventIndexes[rejection.index] }));
    this.count('batch', 'rejected', refused.length);
    this.count('batch', 'accepted', events.length - refused.length);
    const allRejected = refused.length === 0 ? rejected : [...rejected, ...refused].sort((a, b) => a.index - b.index);
    return { success: true as const, stored: result.stored, duplicates: result.duplicates, rejected: allRejected };
  }

  private async ingestOne(type: TrackingMessageType, request: TrackingRequest, body: unknown, key?: AuthenticatedKey) {
    acceptedTrackingBody(request);
    const parsed = parseTrackingMessage(body, type, { receivedAt: new Date(), checkSize: false });
    if (!parsed.ok) {
      this.count(type, 'rejected', 1);
      throw invalid('invalid_message', `invalid ${type} message`, parsed.errors);
    }
    this.enricher.enrich([parsed.event], requestAddress(request));
    const result = await this.ingestion.ingest([parsed.event], { sourceId: key?.id, trust: key?.trust });
    if (result.rejected.length > 0) {
      this.count(type, 'rejected', 1);
      const problems = result.rejected[0].errors;
      throw new ApiException(
        403,
        'refused_for_client_key',
        `${type} refused for this write key (trust: client): ${problems.map((problem) => `${problem.path} ${problem.message}`).join('; ')}`,
        problems,
      );
    }
    this.count(type, 'accepted', 1);
    return { success: true as const, stored: result.stored, duplicates: result.duplicates };
  }

  /** Counted after the commit: `accepted` means durable (stored, or a duplicate of a stored message). */
  private count(route: string, outcome: 'accepted' | 'rejected', messages: number): void {
    if (messages > 0) this.metrics.ingestEvents.inc({ route, outcome }, messages);
  }
}

function invalid(code: string, summary: string, problems: MessageProblem[]): ApiException {
  const reasons = problems
    .slice(0, 5)
    .map((problem) => `${problem.path || '(message)'} ${problem.message}`)
    .join('; ');
  return new ApiException(400, code, `${summary}: ${reasons}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`, problems);
}

function rejectedDetails(rejected: RejectedMessage[]): MessageProblem[] {
  return rejected.flatMap((message) =>
    message.errors.map((error) => ({ path: `batch[${message.index}]${error.path ? `.${error.path}` : ''}`, message: error.message })),
  );
}

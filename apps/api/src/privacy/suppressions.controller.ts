import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import {
  suppressionAddSchema,
  suppressionFilterSchema,
  suppressionListQuerySchema,
  suppressionRemoveSchema,
  SuppressionsService,
  MAX_REASON_LENGTH,
} from '@audiencekit/privacy';
import { ApiException, ApiRoute, AuthenticatedKey, CurrentKey, parseInput, RequireRole } from '@audiencekit/server-core';

/** The import route reads its body as a CSV stream: apps/api lets it past the JSON-only gate. */
export const SUPPRESSIONS_IMPORT_PATH = '/suppressions/import';

const suppressionSchema = z.object({
  id: z.string(),
  identifierType: z.string(),
  value: z.string(),
  channel: z.string(),
  reason: z.string(),
  createdAt: z.string(),
});
const removalsSchema = z.array(z.object({ activationId: z.string(), syncRunId: z.string().nullable(), note: z.string().optional() }));
const importQuerySchema = z
  .object({
    reason: z
      .string()
      .max(MAX_REASON_LENGTH)
      .refine((value) => value.trim().length > 0, 'must not be empty')
      .default('imported')
      .describe('reason for lines whose reason column is missing or empty'),
  })
  .strict();
const importReportSchema = z.object({
  id: z.string(),
  lines: z.number().int(),
  added: z.number().int(),
  alreadySuppressed: z.number().int(),
  invalid: z.array(z.object({ line: z.number().int(), reason: z.string() })),
  invalidCount: z.number().int(),
  removals: removalsSchema,
});

/**
 * The suppression list (libs/privacy). Marketers list, add, lift and import; the export (every
 * identifier, as a file) is admin only. Every change is audited by the service, whoever calls it.
 */
@Controller('suppressions')
export class SuppressionsController {
  constructor(private readonly suppressions: SuppressionsService) {}

  @Get()
  @RequireRole('marketer')
  @ApiRoute({
    summary: 'List suppressions, newest first; filter by channel, identifier type, reason, identifier and creation time; keyset pages',
    query: suppressionListQuerySchema,
    response: z.object({ items: z.array(suppressionSchema), total: z.number().int(), nextCursor: z.string().nullable() }),
    tags: ['suppressions'],
  })
  list(@Query() query: unknown) {
    return this.suppressions.list(parseInput(suppressionListQuerySchema, query, 'query'));
  }

  @Post()
  @HttpCode(201)
  @RequireRole('marketer')
  @ApiRoute({
    summary:
      'Suppress an identifier on a channel (or all) with a reason; idempotent. Queues a sync of every mirror activation holding the person, which removes them',
    body: suppressionAddSchema,
    response: z.object({ suppression: suppressionSchema, created: z.boolean(), removals: removalsSchema }),
    status: 201,
    tags: ['suppressions'],
  })
  add(@Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.suppressions.add(parseInput(suppressionAddSchema, body), key?.id ?? null);
  }

  @Post('removals')
  @HttpCode(200)
  @RequireRole('marketer')
  @ApiRoute({
    summary: 'Lift a suppression (identifier and channel) with a reason, kept in the audit log; 404 when it is not suppressed',
    body: suppressionRemoveSchema,
    response: suppressionSchema,
    tags: ['suppressions'],
  })
  remove(@Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.suppressions.remove(parseInput(suppressionRemoveSchema, body), key?.id ?? null);
  }

  @Post('import')
  @HttpCode(200)
  @RequireRole('marketer')
  @ApiRoute({
    summary:
      'Import a CSV (Content-Type: text/csv; header identifier_type,identifier_value[,channel][,reason]), streamed in one transaction; invalid lines are reported by line number and skipped',
    query: importQuerySchema,
    response: importReportSchema,
    tags: ['suppressions'],
  })
  async import(@Req() request: IncomingMessage, @Query() query: unknown, @CurrentKey() key?: AuthenticatedKey) {
    const { reason } = parseInput(importQuerySchema, query, 'query');
    const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'text/csv')
      throw new ApiException(
        415,
        'unsupported_media_type',
        `the import takes a CSV body (Content-Type: text/csv), not ${type || 'no content type'}`,
      );
    return this.suppressions.import(request, { defaultReason: reason.trim(), actorKeyId: key?.id ?? null, via: 'api' });
  }

  @Get('export')
  @RequireRole('admin')
  @ApiRoute({
    summary: 'Export the suppressions matching the filters as a streamed CSV (oldest first; the same columns the import reads)',
    query: suppressionFilterSchema,
    tags: ['suppressions'],
  })
  async export(@Query() query: unknown, @Res() response: Response, @CurrentKey() key?: AuthenticatedKey): Promise<void> {
    const filter = parseInput(suppressionFilterSchema, query, 'query');
    await this.suppressions.auditExport(filter, key?.id ?? null, 'api');
    response.status(200);
    response.setHeader('content-type', 'text/csv; charset=utf-8');
    response.setHeader('content-disposition', 'attachment; filename="suppressions.csv"');
    await pipeline(Readable.from(this.suppressions.exportCsv(filter)), response);
  }
}

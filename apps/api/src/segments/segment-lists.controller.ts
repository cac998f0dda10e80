import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { EXPORT_IDENTIFIERS, ExportIdentifier, SegmentExportService, SegmentListsService } from '@audiencekit/segments-service';
import { ApiException, ApiRoute, AuthenticatedKey, CurrentKey, parseInput, RequireRole } from '@audiencekit/server-core';

/** The upload route reads its own CSV body: the JSON-only gate skips it (create-api-app.ts). */
export const SEGMENT_LIST_UPLOAD_PATH = /^\/segments\/[^/]+\/list\/?$/i;

const uploadQuerySchema = z.object({
  defaultCountry: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166 alpha-2 country code, e.g. GB')
    .transform((code) => code.toUpperCase())
    .optional()
    .describe('phone lists: the country of numbers written without +'),
});
const lineSchema = z.object({ line: z.number().int(), value: z.string() });
const uploadReportSchema = z.object({
  segmentId: z.uuid(),
  version: z.number().int().describe('the new version the upload created'),
  runId: z.uuid().nullable().describe('the refresh queued to apply it'),
  lines: z.number().int(),
  identifiers: z.number().int().describe('distinct valid identifiers stored'),
  duplicates: z.number().int(),
  matched: z.number().int(),
  unmatched: z.object({ count: z.number().int(), lines: z.array(lineSchema).describe('first 1,000, by line') }),
  invalid: z.object({ count: z.number().int(), lines: z.array(lineSchema.extend({ reason: z.string() })).describe('first 1,000') }),
});
const exportQuerySchema = z.object({
  identifiers: z
    .string()
    .default('email,phone,user_id')
    .transform((text) =>
      text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(EXPORT_IDENTIFIERS)).min(1).max(EXPORT_IDENTIFIERS.length))
    .describe(`comma-separated, from ${EXPORT_IDENTIFIERS.join(', ')}; a column each after profile_id`),
});

/** Static list uploads and the member export of segments. */
@Controller('segments')
export class SegmentListsController {
  constructor(
    private readonly lists: SegmentListsService,
    private readonly exports: SegmentExportService,
  ) {}

  @ApiRoute({
    summary:
      'Upload the list of a list segment (Content-Type: text/csv; one identifier a line, or a header naming the column): a new version, then a refresh; unmatched and invalid lines are reported by line number',
    query: uploadQuerySchema,
    response: uploadReportSchema,
  })
  @Post(':id/list')
  @HttpCode(200)
  @RequireRole('marketer')
  async upload(@Param('id') id: string, @Req() request: IncomingMessage, @Query() query: unknown, @CurrentKey() key?: AuthenticatedKey) {
    const { defaultCountry } = parseInput(uploadQuerySchema, query, 'query');
    const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'text/csv' && type !== 'text/plain')
      throw new ApiException(
        415,
        'unsupported_media_type',
        `a list is uploaded as a CSV body (Content-Type: text/csv), not ${type || 'no content type'}`,
      );
    return this.lists.upload(id, request, { defaultCountry, actor: key?.id ?? null });
  }

  @ApiRoute({
    summary: 'Export the current members as a streamed CSV: profile_id and the identifiers asked for (admin only; audited)',
    query: exportQuerySchema,
  })
  @Get(':id/members/export')
  @RequireRole('admin')
  async export(@Param('id') id: string, @Query() query: unknown, @Res() response: Response, @CurrentKey() key?: AuthenticatedKey) {
    const { identifiers } = parseInput(exportQuerySchema, query, 'query');
    const csv = await this.exports.membersCsv(id, identifiers as ExportIdentifier[], { actorKeyId: key?.id ?? null, via: 'api' });
    response.status(200);
    response.setHeader('content-type', 'text/csv; charset=utf-8');
    response.setHeader('content-disposition', `attachment; filename="segment-${id}-members.csv"`);
    await pipeline(csv, response);
  }
}

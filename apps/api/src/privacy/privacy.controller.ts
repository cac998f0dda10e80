import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { deletionRequestSchema, PrivacyDeletionService } from '@audiencekit/privacy';
import { ApiRoute, AuthenticatedKey, CurrentKey, parseInput, RequireRole } from '@audiencekit/server-core';

const idParamsSchema = z.object({ id: z.uuid() });

const deletionRecordSchema = z.object({
  id: z.uuid(),
  identifierType: z.string(),
  valueHmac: z
    .object({ keyId: z.string(), hmacSha256: z.string() })
    .nullable()
    .describe('HMAC-SHA256 of the identifier under a key derived from AK_SECRETS_KEYS; null when no key ring is configured'),
  requestedAt: z.string(),
  requestedBy: z.string().nullable(),
  profileIds: z.array(z.string()),
  deleted: z.object({ events: z.number().int(), identities: z.number().int() }),
  suppressions: z.number().int(),
  removals: z.array(z.object({ activationId: z.string(), syncRunId: z.string().nullable(), note: z.string().optional() })),
});

/**
 * GDPR-style erasure (admin only: it destroys data and cannot be undone). The data is erased and
 * suppressed before the 202; the removal from each destination is queued (a sync run per
 * activation), hence 202 rather than 200.
 */
@Controller('privacy/deletions')
export class PrivacyController {
  constructor(private readonly deletions: PrivacyDeletionService) {}

  @Post()
  @HttpCode(202)
  @RequireRole('admin')
  @ApiRoute({
    summary: 'Erase and suppress a person by one identifier; queue their removal from every destination',
    body: deletionRequestSchema,
    response: deletionRecordSchema,
    status: 202,
    tags: ['privacy'],
  })
  create(@Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.deletions.delete(parseInput(deletionRequestSchema, body), key?.id ?? null);
  }

  @Get(':id')
  @RequireRole('admin')
  @ApiRoute({ summary: 'The record of a privacy deletion', response: deletionRecordSchema, tags: ['privacy'] })
  get(@Param() params: unknown) {
    return this.deletions.get(parseInput(idParamsSchema, params, 'params').id);
  }
}

import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { ApiException, ApiKeyService, ApiRoute, AuditLogService, pageQuerySchema, parseInput, RequireRole } from '@audiencekit/server-core';

const createKeySchema = z.object({
  name: z.string().min(1).max(200),
  role: z.enum(['admin', 'marketer', 'viewer', 'write']),
  trust: z
    .enum(['server', 'client'])
    .default('client')
    .describe(
      'for write keys: `client` (default) for a key that may be embedded in a browser or app — it may not add an identifier to a profile that has one of that kind, nor set consent traits; `server` for a backend that keeps the key secret',
    ),
});
const keyTrustSchema = z.object({
  trust: z
    .enum(['server', 'client'])
    .describe(
      '`client` for a key a browser or app may hold (no identifiers added to a known profile, no consent traits); `server` for a backend',
    ),
});
const auditQuerySchema = pageQuerySchema.extend({
  objectType: z.string().optional(),
  objectId: z.string().optional(),
  actorKeyId: z.uuid().optional(),
  action: z.string().optional().describe('exact action, e.g. "POST /segments" or "mass_send_guard.confirmed"'),
});
const keysQuerySchema = pageQuerySchema.extend({
  role: z.enum(['admin', 'marketer', 'viewer', 'write']).optional(),
  trust: z.enum(['server', 'client']).optional(),
  revoked: z.enum(['true', 'false']).optional(),
});

/** API keys (admin only): created with the secret shown once, listed without it, their trust changed, revoked. */
@Controller()
@RequireRole('admin')
export class KeysController {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly auditLog: AuditLogService,
  ) {}

  @Post('keys')
  @ApiRoute({ summary: 'Create an API key; the secret is in this response only', body: createKeySchema, tags: ['keys'] })
  async create(@Body() body: unknown) {
    const input = parseInput(createKeySchema, body);
    const created = await this.keys.create(input.name, input.role, input.trust);
    return { ...created.key, prefix: created.prefix, secret: created.secret };
  }

  @Get('keys')
  @ApiRoute({
    summary: 'List API keys (never their secrets), with their trust; filter by role, trust and revoked',
    query: keysQuerySchema,
    tags: ['keys'],
  })
  async list(@Query() query: unknown) {
    const page = parseInput(keysQuerySchema, query, 'query');
    const { items, total } = await this.keys.list({ ...page, revoked: page.revoked === undefined ? undefined : page.revoked === 'true' });
    return { total, limit: page.limit, offset: page.offset, items };
  }

  @Patch('keys/:id')
  @ApiRoute({
    summary: "Change a key's trust (server or client); applies within seconds on every API process",
    body: keyTrustSchema,
    tags: ['keys'],
  })
  async setTrust(@Param('id') id: string, @Body() body: unknown) {
    const { id: keyId } = parseInput(z.object({ id: z.uuid() }), { id }, 'params');
    const { trust } = parseInput(keyTrustSchema, body);
    if (!(await this.keys.setTrust(keyId, trust))) throw new ApiException(404, 'key_not_found', `no active key with id ${keyId}`);
    return { id: keyId, trust };
  }

  @Delete('keys/:id')
  @HttpCode(204)
  @ApiRoute({ summary: 'Revoke an API key', status: 204, tags: ['keys'] })
  async revoke(@Param('id') id: string): Promise<void> {
    const { id: keyId } = parseInput(z.object({ id: z.uuid() }), { id }, 'params');
    if (!(await this.keys.revoke(keyId))) throw new ApiException(404, 'key_not_found', `no active key with id ${keyId}`);
  }

  @Get('audit-log')
  @ApiRoute({ summary: 'Who did what to which object, newest first', query: auditQuerySchema, tags: ['audit'] })
  async audit(@Query() query: unknown) {
    const page = parseInput(auditQuerySchema, query, 'query');
    const { items, total } = await this.auditLog.list(page);
    return { total, limit: page.limit, offset: page.offset, items };
  }
}

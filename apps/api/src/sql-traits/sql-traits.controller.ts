import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { z } from 'zod';
import {
  sqlTraitCreateSchema,
  sqlTraitKeyParamsSchema,
  sqlTraitPreviewSchema,
  SqlTraitsService,
  sqlTraitUpdateSchema,
} from '@audiencekit/sql-traits';
import { ApiRoute, AuthenticatedKey, CurrentKey, parseInput, RequireRole } from '@audiencekit/server-core';

const keyKindSchema = z.enum(['profile_id', 'user_id', 'email']);
const columnSchema = z.object({ name: z.string(), type: z.string().describe('Postgres type name') });
const keyReportSchema = z.object({
  resolved: z.number().int(),
  unknown: z.number().int().describe('rows whose key names no live profile (or is null): counted, not fatal'),
  unknownExamples: z.array(z.unknown()),
});
const sqlTraitSchema = z.object({
  id: z.string(),
  key: z.string(),
  name: z.string(),
  description: z.string(),
  owner: z.string(),
  cadence: z.string(),
  version: z.number().int(),
  sql: z.string(),
  keyKind: keyKindSchema,
  valueColumns: z.array(z.string()).describe('each one a trait key in computed_trait_values (source sql)'),
  versionCreatedAt: z.string(),
  versionCreatedBy: z.string().nullable(),
  lastRunAt: z.string().nullable(),
  lastRun: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const previewSchema = z.object({
  columns: z.array(columnSchema),
  keyKind: keyKindSchema,
  valueColumns: z.array(z.string()),
  rowCount: z.number().int(),
  rows: z.array(z.record(z.string(), z.unknown())).describe('the first 20 rows'),
  keys: keyReportSchema,
});
const runSchema = z.object({
  key: z.string(),
  version: z.number().int(),
  trigger: z.enum(['manual', 'schedule']),
  status: z.literal('succeeded'),
  rowCount: z.number().int(),
  keys: keyReportSchema,
  values: z.object({ upserted: z.number().int(), deleted: z.number().int() }),
  startedAt: z.string(),
  finishedAt: z.string(),
});

const ERRORS =
  'A mistake in the SELECT is a 400 naming it: sql_syntax_error (position, line, column), sql_unknown_identifier, sql_permission_denied (only the views profiles, identities, events, memberships are readable), sql_not_a_select, sql_timeout, sql_too_many_rows, sql_missing_key_column, sql_duplicate_keys, sql_invalid_columns, sql_trait_key_collision; 503 sql_traits_unavailable when the database role is missing.';

/**
 * SQL traits (libs/sql-traits): an admin's SELECT over documented views whose value columns become
 * trait keys. Admin only (it is SQL); every write is audited by the global interceptor.
 */
@Controller('sql-traits')
export class SqlTraitsController {
  constructor(private readonly sqlTraits: SqlTraitsService) {}

  @Get()
  @RequireRole('admin')
  @ApiRoute({ summary: 'Every SQL trait with its current version and last run', response: z.array(sqlTraitSchema), tags: ['sql-traits'] })
  list() {
    return this.sqlTraits.list();
  }

  @Post('preview')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiRoute({
    summary: `Run a SELECT in the read-only sandbox and show the first 20 rows, the row count, the column types and how keys resolve; nothing is written. ${ERRORS}`,
    body: sqlTraitPreviewSchema,
    response: previewSchema,
    tags: ['sql-traits'],
  })
  preview(@Body() body: unknown) {
    return this.sqlTraits.preview(parseInput(sqlTraitPreviewSchema, body));
  }

  @Post()
  @HttpCode(201)
  @RequireRole('admin')
  @ApiRoute({
    summary: `Create a SQL trait (version 1); the SELECT is parsed and described, not run. ${ERRORS}`,
    body: sqlTraitCreateSchema,
    response: sqlTraitSchema,
    status: 201,
    tags: ['sql-traits'],
  })
  create(@Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.sqlTraits.create(parseInput(sqlTraitCreateSchema, body), key?.id ?? null);
  }

  @Get(':key')
  @RequireRole('admin')
  @ApiRoute({ summary: 'One SQL trait with its current version and last run', response: sqlTraitSchema, tags: ['sql-traits'] })
  get(@Param() params: unknown) {
    return this.sqlTraits.get(parseInput(sqlTraitKeyParamsSchema, params, 'params').key);
  }

  @Put(':key')
  @RequireRole('admin')
  @ApiRoute({
    summary: `Change a SQL trait; a changed SELECT or key kind makes a new immutable version. ${ERRORS}`,
    body: sqlTraitUpdateSchema,
    response: sqlTraitSchema,
    tags: ['sql-traits'],
  })
  update(@Param() params: unknown, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.sqlTraits.update(
      parseInput(sqlTraitKeyParamsSchema, params, 'params').key,
      parseInput(sqlTraitUpdateSchema, body),
      key?.id ?? null,
    );
  }

  @Delete(':key')
  @RequireRole('admin')
  @ApiRoute({
    summary: 'Delete a SQL trait and every value it wrote',
    response: z.object({ id: z.string(), key: z.string(), valuesDeleted: z.number().int() }),
    tags: ['sql-traits'],
  })
  remove(@Param() params: unknown) {
    return this.sqlTraits.remove(parseInput(sqlTraitKeyParamsSchema, params, 'params').key);
  }

  @Post(':key/runs')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiRoute({
    summary: `Run a SQL trait now: its values replace the ones it wrote before (computed_trait_values, source sql). ${ERRORS}`,
    response: runSchema,
    tags: ['sql-traits'],
  })
  run(@Param() params: unknown) {
    return this.sqlTraits.run(parseInput(sqlTraitKeyParamsSchema, params, 'params').key, 'manual');
  }
}

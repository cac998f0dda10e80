import { Controller, Get, Param, Query } from '@nestjs/common';
import { z } from 'zod';
import { forRole } from '@audiencekit/activation-admin';
import {
  lookupKinds,
  ProfileExplainService,
  profileDetailSchema,
  profileEventsPageSchema,
  profileExplanationSchema,
  profileLookupSchema,
  ProfilesService,
  type LookupKind,
} from '@audiencekit/profiles';
import { ApiRoute, AuthenticatedKey, CurrentKey, parseInput, RequireRole } from '@audiencekit/server-core';

const identifier = z.string().trim().min(1).max(320);
const lookupQuerySchema = z
  .object({
    email: identifier.optional(),
    phone: identifier.optional(),
    userId: identifier.optional(),
    anonymousId: identifier.optional(),
    profileId: identifier.optional(),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 country code, e.g. GB')
      .optional()
      .describe('country of a phone number written without +'),
  })
  .strict()
  .refine((query) => lookupKinds.filter((kind) => query[kind] !== undefined).length === 1, {
    message: `give exactly one of ${lookupKinds.join(', ')}`,
  });
const eventsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
    name: z.string().min(1).max(200).optional(),
    from: z.iso.datetime({ offset: true }).optional().describe('events at or after (inclusive)'),
    to: z.iso.datetime({ offset: true }).optional().describe('events before (exclusive)'),
  })
  .strict()
  .refine((query) => !query.from || !query.to || Date.parse(query.from) < Date.parse(query.to), {
    path: ['to'],
    message: 'must be after from',
  });
const explainQuerySchema = z.object({
  segment: z.string().trim().min(1).max(200).describe('segment id or key'),
  at: z.iso.datetime({ offset: true }).optional().describe('explain as of this instant (default now)'),
});
const idParamsSchema = z.object({ id: z.uuid() });

/**
 * "Who is this person": lookup by any identifier, the whole profile, its events and why it is (or
 * is not) in a segment. Reads only, viewer and up; identifiers in answers (identities, traits,
 * event properties, suppressions) are masked unless the key is admin, as everywhere in the API.
 */
@Controller('profiles')
export class ProfilesController {
  constructor(
    private readonly profiles: ProfilesService,
    private readonly explainer: ProfileExplainService,
  ) {}

  @ApiRoute({
    summary:
      'Find a profile by exactly one of email, phone, userId, anonymousId or profileId (normalised like ingestion; a merged profile resolves to its winner)',
    query: lookupQuerySchema,
    response: profileLookupSchema,
    tags: ['profiles'],
  })
  @Get('lookup')
  @RequireRole('viewer')
  async lookup(@Query() query: unknown, @CurrentKey() key?: AuthenticatedKey) {
    const input = parseInput(lookupQuerySchema, query, 'query');
    const kind = lookupKinds.find((candidate) => input[candidate] !== undefined) as LookupKind;
    return forRole(
      await this.profiles.lookup(kind, input[kind] as string, { phoneCountry: input.country, field: `query.${kind}` }),
      key?.role,
    );
  }

  @ApiRoute({
    summary:
      'A profile: identities, traits (set when, by which identify), memberships, arms per activation, holdout, suppressions, consent, merges',
    response: profileDetailSchema,
    tags: ['profiles'],
  })
  @Get(':id')
  @RequireRole('viewer')
  async detail(@Param() params: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return forRole(await this.profiles.detail(parseInput(idParamsSchema, params, 'params').id), key?.role);
  }

  @ApiRoute({
    summary: "A profile's events, newest first, filtered by name and time range [from, to)",
    query: eventsQuerySchema,
    response: profileEventsPageSchema,
    tags: ['profiles'],
  })
  @Get(':id/events')
  @RequireRole('viewer')
  async events(@Param() params: unknown, @Query() query: unknown, @CurrentKey() key?: AuthenticatedKey) {
    const { id } = parseInput(idParamsSchema, params, 'params');
    const input = parseInput(eventsQuerySchema, query, 'query');
    const filter = {
      limit: input.limit,
      offset: input.offset,
      name: input.name,
      from: input.from ? new Date(input.from) : undefined,
      to: input.to ? new Date(input.to) : undefined,
    };
    return forRole(await this.profiles.events(id, filter), key?.role);
  }

  @ApiRoute({
    summary:
      'Why the profile is or is not in a segment: each condition with its verdict, the values that decided it and when a window flips it (rules, the real-time evaluator); score, tier thresholds and model version (model segments)',
    query: explainQuerySchema,
    response: profileExplanationSchema,
    tags: ['profiles'],
  })
  @Get(':id/explain')
  @RequireRole('viewer')
  async explain(@Param() params: unknown, @Query() query: unknown, @CurrentKey() key?: AuthenticatedKey) {
    const { id } = parseInput(idParamsSchema, params, 'params');
    const input = parseInput(explainQuerySchema, query, 'query');
    return forRole(await this.explainer.explain(id, input.segment, input.at ? new Date(input.at) : new Date()), key?.role);
  }
}

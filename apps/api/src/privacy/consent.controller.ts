import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { z } from 'zod';
import {
  consentCategoryInputSchema,
  consentCategoryKeySchema,
  ConsentService,
  destinationCategoriesInputSchema,
  profileConsentInputSchema,
} from '@audiencekit/privacy';
import { ApiRoute, AuthenticatedKey, CurrentKey, parseInput, RequireRole } from '@audiencekit/server-core';

const keyParamsSchema = z.object({ key: consentCategoryKeySchema });
const idParamsSchema = z.object({ id: z.uuid() });
const categorySchema = z.object({
  key: z.string(),
  label: z.string(),
  description: z.string(),
  destinationIds: z.array(z.string()).describe('destinations that require this category'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const destinationCategoriesSchema = z.object({ destinationId: z.string(), categories: z.array(z.string()) });
const profileConsentSchema = z.object({
  profileId: z.string(),
  unsubscribed: z.boolean(),
  categories: z.array(z.object({ key: z.string(), label: z.string(), granted: z.boolean().nullable(), recordedAt: z.string().nullable() })),
  other: z.record(z.string(), z.unknown()).describe('channel opt-outs (consent.email: false, …) and other consent keys, as stored'),
});

/**
 * Consent categories (admin defines them and which destinations require them) and a profile's
 * consent per category (marketers set it on a person's behalf). libs/privacy does the work.
 */
@Controller()
export class ConsentController {
  constructor(private readonly consent: ConsentService) {}

  @Get('consent/categories')
  @RequireRole('viewer')
  @ApiRoute({
    summary: 'Consent categories, with the destinations that require each',
    response: z.array(categorySchema),
    tags: ['consent'],
  })
  listCategories() {
    return this.consent.listCategories();
  }

  @Put('consent/categories/:key')
  @RequireRole('admin')
  @ApiRoute({
    summary: 'Create or update a consent category (its key is the profile trait consent.<key>)',
    body: consentCategoryInputSchema,
    response: categorySchema.extend({ created: z.boolean() }),
    tags: ['consent'],
  })
  putCategory(@Param() params: unknown, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    const { key: categoryKey } = parseInput(keyParamsSchema, params, 'params');
    return this.consent.putCategory(categoryKey, parseInput(consentCategoryInputSchema, body), key?.id ?? null);
  }

  @Delete('consent/categories/:key')
  @HttpCode(204)
  @RequireRole('admin')
  @ApiRoute({ summary: 'Delete a consent category no destination requires (409 while one does)', status: 204, tags: ['consent'] })
  async deleteCategory(@Param() params: unknown, @CurrentKey() key?: AuthenticatedKey): Promise<void> {
    await this.consent.deleteCategory(parseInput(keyParamsSchema, params, 'params').key, key?.id ?? null);
  }

  @Get('destinations/:id/consent-categories')
  @RequireRole('viewer')
  @ApiRoute({ summary: 'The consent categories a destination requires', response: destinationCategoriesSchema, tags: ['consent'] })
  destinationCategories(@Param() params: unknown) {
    return this.consent.destinationCategories(parseInput(idParamsSchema, params, 'params').id);
  }

  @Put('destinations/:id/consent-categories')
  @RequireRole('admin')
  @ApiRoute({
    summary:
      'Set the consent categories a destination requires (members need consent.<key>: true for each); applies from its next run, when a mirror removes members without them',
    body: destinationCategoriesInputSchema,
    response: destinationCategoriesSchema,
    tags: ['consent'],
  })
  setDestinationCategories(@Param() params: unknown, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    const { id } = parseInput(idParamsSchema, params, 'params');
    return this.consent.setDestinationCategories(id, parseInput(destinationCategoriesInputSchema, body), key?.id ?? null);
  }

  @Get('profiles/:id/consent')
  @RequireRole('marketer')
  @ApiRoute({ summary: "A profile's consent per category (and its channel opt-outs)", response: profileConsentSchema, tags: ['consent'] })
  profileConsent(@Param() params: unknown) {
    return this.consent.profileConsent(parseInput(idParamsSchema, params, 'params').id);
  }

  @Put('profiles/:id/consent')
  @RequireRole('marketer')
  @ApiRoute({
    summary:
      "Set a profile's consent per category ({ consent: { email_marketing: true } }); a withdrawal always applies and queues a sync of each mirror activation holding the person whose destination requires it",
    body: profileConsentInputSchema,
    response: profileConsentSchema.extend({
      removals: z.array(z.object({ activationId: z.string(), syncRunId: z.string().nullable(), note: z.string().optional() })),
    }),
    tags: ['consent'],
  })
  setProfileConsent(@Param() params: unknown, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    const { id } = parseInput(idParamsSchema, params, 'params');
    return this.consent.setProfileConsent(id, parseInput(profileConsentInputSchema, body), key?.id ?? null);
  }
}

import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { applyTraits } from '@audiencekit/identity';
import { PrivacyException } from '../privacy.exception';
import { QueuedRemoval, SuppressionsService } from '../suppressions/suppressions.service';
import { ConsentCategoryInput, DestinationCategoriesInput, ProfileConsentInput } from './consent-input';
import {
  ConsentCategoryRow,
  deleteCategory,
  deleteWithdrawals,
  destinationCategories,
  existingCategoryKeys,
  findCategory,
  insertConsentAudit,
  listCategories,
  lockLiveDestination,
  lockSurvivingProfile,
  lockWithdrawals,
  mirrorActivationsRequiring,
  ProfileTraitsRow,
  readProfileTraits,
  replaceDestinationCategories,
  upsertCategory,
  writeProfileTraits,
} from './consent.repository';

/** A profile's consent as the engine reads it (traits `unsubscribed` and `consent.<key>`). */
export interface ProfileConsentView {
  profileId: string;
  unsubscribed: boolean;
  /** Every defined category: true given, false withdrawn, null never recorded (= not given). */
  categories: { key: string; label: string; granted: boolean | null; recordedAt: string | null }[];
  /** Channel opt-outs and any other `consent` keys that are not categories, as stored. */
  other: Record<string, unknown>;
}

/**
 * Consent categories (operator-defined, mapped to the destinations that require them) and a
 * profile's consent per category. Consent is stored as the profile trait `consent.<key>` — the
 * same trait identify calls from server sources set, merged by the same monotonic rule
 * (libs/identity `applyTraits`: a withdrawal always applies, a later-dated grant undoes it) — so
 * the API and tracking can never disagree. A withdrawal requests a sync of each mirror activation
 * holding the person whose destination requires the category: its removes phase takes them off.
 */
@Injectable()
export class ConsentService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly suppressions: SuppressionsService,
  ) {}

  listCategories(): Promise<ConsentCategoryRow[]> {
    return listCategories(this.dataSource.manager);
  }

  async putCategory(
    key: string,
    input: ConsentCategoryInput,
    actorKeyId: string | null,
  ): Promise<ConsentCategoryRow & { created: boolean }> {
    return this.dataSource.transaction(async (manager) => {
      const created = await upsertCategory(manager, key, input.label, input.description);
      await insertConsentAudit(
        manager,
        created ? 'consent_category.created' : 'consent_category.updated',
        'consent_category',
        key,
        actorKeyId,
        input,
      );
      return { ...((await findCategory(manager, key)) as ConsentCategoryRow), created };
    });
  }

  /** 404 when absent; 409 `consent_category_in_use` while a destination requires it. */
  async deleteCategory(key: string, actorKeyId: string | null): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const outcome = await deleteCategory(manager, key);
      if (outcome.requiredBy > 0)
        throw new PrivacyException(
          'consent_category_in_use',
          `consent category ${key} is required by ${outcome.requiredBy} destination(s): remove it from them first`,
          [{ path: 'key', message: 'is required by a destination' }],
        );
      if (!outcome.deleted) throw notFound(key);
      await insertConsentAudit(manager, 'consent_category.deleted', 'consent_category', key, actorKeyId, {});
    });
  }

  async destinationCategories(destinationId: string): Promise<{ destinationId: string; categories: string[] }> {
    const manager = this.dataSource.manager;
    if (!(await this.liveDestination(manager, destinationId))) throw destinationNotFound(destinationId);
    return { destinationId, categories: await destinationCategories(manager, destinationId) };
  }

  /**
   * Replaces the categories a destination requires. Nothing is queued: the destination's next run
   * applies the new rule (a mirror then removes held members without the consent).
   */
  async setDestinationCategories(
    destinationId: string,
    input: DestinationCategoriesInput,
    actorKeyId: string | null,
  ): Promise<{ destinationId: string; categories: string[] }> {
    return this.dataSource.transaction(async (manager) => {
      if (!(await lockLiveDestination(manager, destinationId))) throw destinationNotFound(destinationId);
      await this.assertDefined(manager, input.categories, (index) => `categories[${index}]`);
      const before = await destinationCategories(manager, destinationId);
      await replaceDestinationCategories(manager, destinationId, input.categories);
      await insertConsentAudit(manager, 'destination.consent_categories', 'destination', destinationId, actorKeyId, {
        before,
        after: input.categories,
      });
      return { destinationId, categories: input.categories };
    });
  }

  async profileConsent(profileId: string): Promise<ProfileConsentView> {
    const profile = await readProfileTraits(this.dataSource.manager, profileId);
    if (!profile) throw profileNotFound(profileId);
    return viewOf(profile, await listCategories(this.dataSource.manager));
  }

  /**
   * Sets consent per category on the live profile `profileId` stands for (a merged profile's
   * survivor). Keys must be defined categories (400 naming `consent.<key>`).
   */
  async setProfileConsent(
    profileId: string,
    input: ProfileConsentInput,
    actorKeyId: string | null,
  ): Promise<ProfileConsentView & { removals: QueuedRemoval[] }> {
    const changeId = randomUUID();
    const { view, withdrawn } = await this.dataSource.transaction(async (manager) => {
      const keys = Object.keys(input.consent);
      await this.assertDefined(manager, keys, (index) => `consent.${keys[index]}`);
      const profile = await lockSurvivingProfile(manager, profileId);
      if (!profile) throw profileNotFound(profileId);
      const before = consentOf(profile.traits);
      const now = new Date();
      const merged = applyTraits({ traits: profile.traits, timestamps: profile.traitTimestamps }, { consent: input.consent }, now, now);
      const updated = { id: profile.id, traits: merged.state.traits, traitTimestamps: merged.state.timestamps };
      const after = consentOf(updated.traits);
      if (merged.changed) await writeProfileTraits(manager, updated);
      const withdrawn = keys.filter((key) => after[key] === false && before[key] !== false);
      await insertConsentAudit(manager, 'profile.consent', 'profile', profile.id, actorKeyId, {
        changeId,
        requested: input.consent,
        result: Object.fromEntries(keys.map((key) => [key, after[key] ?? null])),
        withdrawn,
      });
      return { view: viewOf(updated, await listCategories(manager)), withdrawn };
    });
    // The trigger recorded the withdrawal in the outbox; this profile's rows are drained now so the
    // answer names the removal syncs (the worker drains the ones identify and merges leave).
    const removals = withdrawn.length === 0 ? [] : (await this.drainWithdrawals(100, view.profileId, actorKeyId)).removals;
    return { ...view, removals };
  }

  /**
   * Turns recorded withdrawals (the `consent_withdrawals` outbox the profiles trigger fills) into
   * removal syncs: per row, one sync of each mirror activation holding the person whose
   * destination requires a withdrawn category (trigger `consent_withdrawal`, keyed by the row, so
   * a drain that crashes after requesting and before deleting requests nothing twice). Rows are
   * locked with SKIP LOCKED: several workers share the work.
   */
  async drainWithdrawals(
    limit = 100,
    profileId: string | null = null,
    requestedBy: string | null = null,
  ): Promise<{ withdrawals: number; removals: QueuedRemoval[] }> {
    return this.dataSource.transaction(async (manager) => {
      const rows = await lockWithdrawals(manager, limit, profileId);
      const removals: QueuedRemoval[] = [];
      for (const row of rows) {
        const activationIds = await mirrorActivationsRequiring(manager, row.profileId, row.keys);
        removals.push(...(await this.suppressions.requestRemovals(activationIds, row.id, requestedBy, 'consent_withdrawal')));
      }
      await deleteWithdrawals(
        manager,
        rows.map((row) => row.id),
      );
      return { withdrawals: rows.length, removals };
    });
  }

  private async assertDefined(manager: EntityManager, keys: readonly string[], pathOf: (index: number) => string): Promise<void> {
    const known = new Set(await existingCategoryKeys(manager, keys));
    const details = keys.flatMap((key, index) =>
      known.has(key) ? [] : [{ path: pathOf(index), message: `is not a consent category (${key})` }],
    );
    if (details.length > 0)
      throw new PrivacyException(
        'invalid_consent_category',
        `unknown consent categories: ${details.map((d) => d.path).join(', ')}`,
        details,
      );
  }

  private async liveDestination(manager: EntityManager, destinationId: string): Promise<boolean> {
    return manager.transaction((inner) => lockLiveDestination(inner, destinationId));
  }
}

function consentOf(traits: Record<string, unknown>): Record<string, unknown> {
  const consent = traits['consent'];
  return consent && typeof consent === 'object' && !Array.isArray(consent) ? (consent as Record<string, unknown>) : {};
}

function viewOf(profile: ProfileTraitsRow, categories: ConsentCategoryRow[]): ProfileConsentView {
  const consent = consentOf(profile.traits);
  const keys = new Set(categories.map((category) => category.key));
  return {
    profileId: profile.id,
    unsubscribed: profile.traits['unsubscribed'] === true,
    categories: categories.map((category) => ({
      key: category.key,
      label: category.label,
      granted: typeof consent[category.key] === 'boolean' ? (consent[category.key] as boolean) : null,
      recordedAt: profile.traitTimestamps[`consent.${category.key}`] ?? null,
    })),
    other: Object.fromEntries(Object.entries(consent).filter(([key]) => !keys.has(key))),
  };
}

const notFound = (key: string) =>
  new PrivacyException('consent_category_not_found', `no consent category ${key}`, [{ path: 'key', message: 'is not a consent category' }]);
const destinationNotFound = (id: string) => new PrivacyException('consent_destination_not_found', `no destination ${id}`);
const profileNotFound = (id: string) => new PrivacyException('consent_profile_not_found', `no live profile ${id}`);

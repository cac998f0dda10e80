import { z } from 'zod';
import { ComputedTraitReference, computedKeyOfPath } from '@audiencekit/connector-sdk';
import { sendgridRegion } from '../sendgrid-client';

/** Settings of the Marketing Contacts (list model) connector. */
export const contactsSettings = z.object({
  region: sendgridRegion,
  /**
   * Custom fields are keyed by field id (`e1_T`, `w2_N`, …, from "Get All Field Definitions"):
   * trait path → field id. The fields must exist in SendGrid before the sync.
   */
  customFields: z
    .record(z.string().min(1), z.string().min(1))
    .default({})
    .describe('Trait (dotted path, or computed.<key> for a computed or SQL trait) → SendGrid custom field id'),
  firstNameTrait: z.string().min(1).default('first_name').describe('Trait sent as the reserved first_name field'),
  lastNameTrait: z.string().min(1).default('last_name').describe('Trait sent as the reserved last_name field'),
});
export type ContactsSettings = z.infer<typeof contactsSettings>;

/**
 * Computed and SQL traits these settings send (`computed.<key>` as a custom field's source or as a
 * name trait): the core loads their values and refuses an unknown key at save (issue #20).
 */
export function contactsComputedTraitRefs(settings: ContactsSettings): ComputedTraitReference[] {
  const refs: ComputedTraitReference[] = [];
  for (const path of Object.keys(settings.customFields ?? {})) {
    const key = computedKeyOfPath(path);
    if (key !== undefined) refs.push({ key, path: `customFields.${path}` });
  }
  for (const field of ['firstNameTrait', 'lastNameTrait'] as const) {
    const key = computedKeyOfPath(settings[field] ?? '');
    if (key !== undefined) refs.push({ key, path: field });
  }
  return refs;
}

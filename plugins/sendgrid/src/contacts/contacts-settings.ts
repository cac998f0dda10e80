import { z } from 'zod';
import { sendgridRegion } from '../sendgrid-client';

/** Settings of the Marketing Contacts (list model) connector. */
export const contactsSettings = z.object({
  region: sendgridRegion,
  /**
   * Custom fields are keyed by field id (`e1_T`, `w2_N`, …, from "Get All Field Definitions"):
   * trait path → field id. The fields must exist in SendGrid before the sync.
   */
  customFields: z.record(z.string().min(1), z.string().min(1)).default({}).describe('Trait (dotted path) → SendGrid custom field id'),
  firstNameTrait: z.string().min(1).default('first_name').describe('Trait sent as the reserved first_name field'),
  lastNameTrait: z.string().min(1).default('last_name').describe('Trait sent as the reserved last_name field'),
});
export type ContactsSettings = z.infer<typeof contactsSettings>;

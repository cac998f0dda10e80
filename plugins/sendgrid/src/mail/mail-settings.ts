import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { sendgridRegion } from '../sendgrid-client';

/** Settings of the Mail Send (send model) connector. */
export const mailSettings = z.object({
  region: sendgridRegion,
  fromEmail: z.email().describe('Verified sender address'),
  fromName: z.string().min(1).optional().describe('Sender display name'),
  replyToEmail: z.email().optional().describe('Reply-to address'),
  /** Mail Send allows at most 10 categories of at most 255 characters, each once (`uniqueItems`): a repeat fails every send. */
  categories: z
    .array(z.string().min(1).max(255))
    .max(10)
    .refine(
      (categories) => new Set(categories).size === categories.length,
      'each category may appear only once (SendGrid refuses duplicates)',
    )
    .default([])
    .describe('SendGrid categories for stats'),
  unsubscribeGroupId: z.number().int().positive().optional().describe('Unsubscribe group (asm.group_id)'),
  sandboxMode: z.boolean().default(false).describe('Validate without delivering (mail_settings.sandbox_mode)'),
  /**
   * The Signed Event Webhook's verification key as SendGrid shows it (base64 of a DER P-256 public
   * key). Public, so a setting, not a secret; the API's /v1/vendor-events/sendgrid-email/<id> route
   * verifies every post with it and refuses all posts while it is unset.
   */
  eventWebhookPublicKey: z
    .string()
    .trim()
    .refine(isP256PublicKey, 'must be the Event Webhook verification key SendGrid shows (base64 of an ECDSA P-256 public key)')
    .optional()
    .describe('Event Webhook verification key (Mail Settings → Signed Event Webhook)'),
});
export type MailSettings = z.infer<typeof mailSettings>;

function isP256PublicKey(base64: string): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}

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
});
export type MailSettings = z.infer<typeof mailSettings>;

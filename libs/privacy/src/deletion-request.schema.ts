import { z } from 'zod';
import { normalizeEmail, normalizePhone } from '@audiencekit/identity';

export const DELETION_IDENTIFIER_TYPES = ['email', 'phone', 'user_id', 'anonymous_id'] as const;
export type DeletionIdentifierType = (typeof DELETION_IDENTIFIER_TYPES)[number];

/**
 * A deletion request: one identifier of the person. Emails and phones are normalised the way
 * ingestion stores them (so `Ann@Example.com` finds `ann@example.com`); phones must be E.164
 * (`+447911123456`), since there is no default country to guess with. Ids are kept as sent.
 */
export const deletionRequestSchema = z
  .object({
    identifierType: z.enum(DELETION_IDENTIFIER_TYPES),
    // Not trimmed: ingestion keeps ids exactly as sent; emails and phones are normalised below.
    value: z
      .string()
      .max(1_000)
      .refine((value) => value.trim().length > 0, 'must not be empty'),
  })
  .strict()
  .transform((request, context) => {
    const value = normalized(request.identifierType, request.value);
    if (value === null) {
      const expected = request.identifierType === 'email' ? 'an email address' : 'a phone number in E.164 form (+447911123456)';
      context.addIssue({ code: 'custom', path: ['value'], message: `must be ${expected}` });
      return z.NEVER;
    }
    return { identifierType: request.identifierType, value };
  });

export type DeletionRequest = z.output<typeof deletionRequestSchema>;

function normalized(type: DeletionIdentifierType, value: string): string | null {
  if (type === 'email') return normalizeEmail(value);
  if (type === 'phone') return normalizePhone(value);
  return value;
}

import { z } from 'zod';

/** A tag name as rules and templates see it in `signals.tags`: `price-sensitive`, `gift_buyer`. */
export const TEXT_SIGNAL_TAG_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const event = z.string().trim().min(1).max(200).describe('the event name whose text is scored, e.g. "Review Submitted"');
const property = z
  .string()
  .min(1)
  .max(200)
  .refine(
    (path) => path.split('.').every((segment) => segment.length > 0 && !/^-?\d+$/.test(segment)),
    'must be a dot path of non-empty, non-numeric keys',
  )
  .describe('the dot path of the property holding the text, e.g. "text" or "ticket.body"');
const term = z.string().trim().min(1, 'must not be blank').max(100);
const vocabularies = z
  .record(
    z.string().regex(TEXT_SIGNAL_TAG_PATTERN, 'tag names are 1-63 characters: lower-case letters, digits, - or _'),
    z.array(term).min(1).max(500),
  )
  .refine((value) => Object.keys(value).length <= 50, 'at most 50 tags')
  .describe('tag → words or phrases, matched on lemmas ("price" also matches "prices", "pricing")');

export const textSignalConfigCreateSchema = z.object({ event, property, vocabularies: vocabularies.default({}) }).strict();
export const textSignalConfigUpdateSchema = z.object({ property: property.optional(), vocabularies: vocabularies.optional() }).strict();
export const textSignalEventParamsSchema = z.object({ event });

export type TextSignalConfigCreateInput = z.infer<typeof textSignalConfigCreateSchema>;
export type TextSignalConfigUpdateInput = z.infer<typeof textSignalConfigUpdateSchema>;

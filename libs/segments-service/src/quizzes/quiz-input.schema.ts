import { z } from 'zod';
import { quizKeySchema } from '@audiencekit/segments-domain';

const owner = z.string().min(1).max(200);
const definition = z.unknown().describe('the quiz definition: title and questions (libs/segments-domain README, Surveys and quizzes)');

export const quizCreateSchema = z.object({ key: quizKeySchema, owner, definition }).strict();
export const quizUpdateSchema = z.object({ owner: owner.optional(), definition: definition.optional() }).strict();
export const quizKeyParamsSchema = z.object({ key: quizKeySchema });

/** One submission of answers (`POST /v1/quizzes/:key/answers`). */
export const quizSubmissionSchema = z
  .object({
    version: z.number().int().positive().describe('the quiz version the answers are for (the one `GET /v1/quizzes/:key` served)'),
    userId: z.string().min(1).max(255).optional(),
    anonymousId: z.string().min(1).max(255).optional(),
    answers: z.record(z.string(), z.unknown()).describe('question id → answer: an option value, an array of them, or a number'),
    timestamp: z.string().optional().describe('when the answers were given (ISO 8601); default: when received'),
    messageId: z.string().min(1).max(255).optional().describe('deduplicates a retried submission'),
  })
  .strict()
  .refine((body) => body.userId !== undefined || body.anonymousId !== undefined, {
    path: ['userId'],
    message: 'userId or anonymousId is required',
  });

export type QuizCreateInput = z.infer<typeof quizCreateSchema>;
export type QuizUpdateInput = z.infer<typeof quizUpdateSchema>;
export type QuizSubmission = z.infer<typeof quizSubmissionSchema>;

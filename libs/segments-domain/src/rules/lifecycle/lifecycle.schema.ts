import { z } from 'zod';
import type { PropertyFilter } from '../definition.schema';
import { parseDuration } from './duration';

/**
 * Sequences and lifecycle conditions (issue 20). Their semantics, shared by the SQL compiler
 * (compile-lifecycle-sql.ts) and both in-memory evaluators (lifecycle-evaluate.ts):
 *
 * - `sequence`: events e1 … ek (k = 2..5), ei matching step i (name and `where`), with STRICTLY
 *   increasing timestamps (t1 < t2 < … < tk: two events at the same instant are not "then", so one
 *   event never fills two steps), tk − t1 ≤ `within`, and every step inside `window` (the first
 *   step bounds the start, the last step the end: a `last 30 days` sequence must have started in
 *   the last 30 days and be complete by now).
 * - `first_time`: the profile's earliest matching event ever (future-dated ones included, as for
 *   any window) lies inside `window`: it did the event in the window and never before it.
 * - `stopped`: a matching event in (now − quiet − active, now − quiet] and none in (now − quiet, now].
 * - `regularly`: matching events inside `window` fall on at least `atLeast` distinct UTC days
 *   (`per: 'day'`) or ISO weeks, Monday to Sunday in UTC (`per: 'week'`).
 */
export interface SequenceStep {
  event: string;
  where?: PropertyFilter[];
}
export interface SequenceCondition {
  type: 'sequence';
  steps: SequenceStep[];
  within: string;
  window: string;
}
export interface FirstTimeCondition {
  type: 'first_time';
  event: string;
  where?: PropertyFilter[];
  window: string;
}
export interface StoppedCondition {
  type: 'stopped';
  event: string;
  where?: PropertyFilter[];
  /** How long the earlier, active period is. */
  active: string;
  /** How long the profile has been quiet (the most recent period, ending now). */
  quiet: string;
}
export interface RegularlyCondition {
  type: 'regularly';
  event: string;
  where?: PropertyFilter[];
  window: string;
  per: 'day' | 'week';
  atLeast: number;
}
export type LifecycleCondition = SequenceCondition | FirstTimeCondition | StoppedCondition | RegularlyCondition;
export const LIFECYCLE_TYPES = ['sequence', 'first_time', 'stopped', 'regularly'] as const;

export function isLifecycleCondition(node: { type: string }): node is LifecycleCondition {
  return (LIFECYCLE_TYPES as readonly string[]).includes(node.type);
}

export const durationSchema = z
  .string()
  .max(100)
  .superRefine((value, context) => {
    const problem = parseDuration(value).problem;
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });

/** The zod objects of the four conditions, built from the shared pieces of definition.schema.ts. */
export function lifecycleConditionSchemas(parts: { name: z.ZodString; where: z.ZodTypeAny; window: z.ZodTypeAny }) {
  const step = z.object({ event: parts.name, where: parts.where.optional() }).strict();
  return [
    z.object({ type: z.literal('sequence'), steps: z.array(step).min(2).max(5), within: durationSchema, window: parts.window }).strict(),
    z.object({ type: z.literal('first_time'), event: parts.name, where: parts.where.optional(), window: parts.window }).strict(),
    z
      .object({
        type: z.literal('stopped'),
        event: parts.name,
        where: parts.where.optional(),
        active: durationSchema,
        quiet: durationSchema,
      })
      .strict(),
    z
      .object({
        type: z.literal('regularly'),
        event: parts.name,
        where: parts.where.optional(),
        window: parts.window,
        per: z.enum(['day', 'week']),
        atLeast: z.number().int().min(1).max(36_500),
      })
      .strict(),
  ] as const;
}

import { z } from 'zod';

const name = z.string().min(1).max(200);
const propertyPath = name.refine(
  (path) => path.split('.').every((segment) => segment.length > 0 && !/^-?\d+$/.test(segment)),
  'must be a dot path of non-empty, non-numeric keys',
);

/**
 * A lifetime-value segment: BG/NBD + Gamma-Gamma fitted when a version is created, on every live
 * profile's `orderEvent` events up to the fit time (an order is the `orderIdProperty` value, else
 * the event; its amount the sum of its lines' positive `amountProperty`), and stored with the
 * version together with `horizonDays`, the discount rate and the tier thresholds (cut on the fitted
 * customers' predicted value over the horizon). At refresh every live profile with at least one order
 * is scored with the stored model on its orders up to the refresh time; `tier` picks the members.
 * A profile without an order is not scored (the models start at a customer's first order) and is
 * never a member.
 */
export const clvDefinitionSchema = z
  .object({
    type: z.literal('clv'),
    orderEvent: name.default('Order Completed'),
    amountProperty: propertyPath,
    orderIdProperty: propertyPath.default('order_id'),
    horizonDays: z.number().int().min(1).max(3650),
    /** Per 30-day period, e.g. 0.01; absent: no discounting. */
    monthlyDiscountRate: z.number().min(0).max(1).optional(),
    tierShares: z
      .object({ topShare: z.number().gt(0).lt(1).default(0.2), bottomShare: z.number().gt(0).lt(1).default(0.5) })
      .strict()
      .refine((shares) => shares.topShare + shares.bottomShare <= 1, {
        message: 'topShare + bottomShare must be at most 1',
        path: ['bottomShare'],
      })
      .default({ topShare: 0.2, bottomShare: 0.5 }),
    tier: z.enum(['top', 'middle', 'bottom']),
  })
  .strict();
export type ClvDefinition = z.infer<typeof clvDefinitionSchema>;

/** The part of a CLV definition that determines the stored model: everything but `tier`. */
export function clvFitSpecification(definition: ClvDefinition): Record<string, unknown> {
  const { tier: _pick, ...spec } = definition;
  return spec;
}

/** Where a CLV definition's orders come from, for `compileClvOrdersSql` (window: ever, up to the fit / refresh time). */
export function clvOrderSource(definition: ClvDefinition): { purchaseEvent: string; revenueProperty: string; orderIdProperty: string } {
  return { purchaseEvent: definition.orderEvent, revenueProperty: definition.amountProperty, orderIdProperty: definition.orderIdProperty };
}

/**
 * True when a stored definition (raw JSON, e.g. a version's jsonb, whose key order Postgres changes)
 * is a `clv` definition with the same fit as `definition`: a new version then reuses its model.
 */
export function sameClvFit(stored: unknown, definition: ClvDefinition): boolean {
  const parsed = clvDefinitionSchema.safeParse(stored);
  return parsed.success && JSON.stringify(clvFitSpecification(parsed.data)) === JSON.stringify(clvFitSpecification(definition));
}

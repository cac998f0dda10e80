import { z } from 'zod';
import { parseWindow } from '../rules/window';
import { DEFAULT_RFM_TIERS, rfmTierTableProblem, type RfmTierRule } from './rfm-tiers';

const name = z.string().min(1).max(200);
const propertyPath = name.refine(
  (path) => path.split('.').every((segment) => segment.length > 0 && !/^-?\d+$/.test(segment)),
  'must be a dot path of non-empty, non-numeric keys',
);
const windowText = z
  .string()
  .max(100)
  .superRefine((value, context) => {
    const problem = parseWindow(value).problem;
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });

/**
 * Where purchases come from, shared by RFM, intent × value and the behavioural features of
 * clusters and propensity. Defaults follow the Segment e-commerce spec and our CSV importer:
 * `Order Completed` with a numeric `revenue`; `Order Refunded` subtracts |revenue| (or |total|).
 */
export const purchaseSourceShape = {
  window: windowText.default('last 365 days'),
  purchaseEvent: name.default('Order Completed'),
  refundEvent: name.nullable().default('Order Refunded'),
  revenueProperty: propertyPath.default('revenue'),
};
export interface PurchaseSource {
  window: string;
  purchaseEvent: string;
  refundEvent: string | null;
  revenueProperty: string;
}

const scoreRange = z.tuple([z.number().int().min(1).max(5), z.number().int().min(1).max(5)]);
const tierRuleSchema = z
  .object({
    key: z.string().regex(/^[a-z0-9_]{1,50}$/, 'must be 1–50 lower-case letters, digits or _'),
    name: name,
    r: scoreRange.optional(),
    f: scoreRange.optional(),
    m: scoreRange.optional(),
    fm: scoreRange.optional(),
    action: z.string().max(500).optional(),
  })
  .strict();

export const rfmDefinitionSchema = z
  .object({
    type: z.literal('rfm'),
    /** Keys of the tiers whose profiles are members (e.g. `["champions"]`). */
    tiers: z.array(z.string().min(1).max(50)).min(1).max(50),
    ...purchaseSourceShape,
    /** Replaces the default tier table for this segment (the whole table: first matching rule wins). */
    tierTable: z.array(tierRuleSchema).min(1).max(125).optional(),
  })
  .strict()
  .superRefine((definition, context) => {
    const table: readonly RfmTierRule[] = definition.tierTable ?? DEFAULT_RFM_TIERS;
    if (definition.tierTable) {
      const problem = rfmTierTableProblem(definition.tierTable);
      if (problem) context.addIssue({ code: 'custom', path: ['tierTable'], message: problem });
    }
    const known = new Set(table.map((rule) => rule.key));
    definition.tiers.forEach((tier, index) => {
      if (!known.has(tier))
        context.addIssue({ code: 'custom', path: ['tiers', index], message: `is not a tier; known tiers: ${[...known].join(', ')}` });
    });
  });

export type RfmDefinition = z.infer<typeof rfmDefinitionSchema>;

import type { Definition } from '../types';
import { useApi } from '../use-api';

type Range = [number, number];
interface TierRule {
  key: string;
  name: string;
  r?: Range;
  f?: Range;
  m?: Range;
  fm?: Range;
  action?: string;
}

const inside = (value: number, range?: Range) => range === undefined || (value >= range[0] && value <= range[1]);
// The grid reads F and M as one axis (fm); a cell evaluates the rule with f = m = fm, exactly the
// default table's reading (its rules use r and fm only).
const tierAt = (table: TierRule[], r: number, fm: number) =>
  table.find((rule) => inside(r, rule.r) && inside(fm, rule.f) && inside(fm, rule.m) && inside(fm, rule.fm));

/**
 * The RFM grid: recency score across, frequency-and-monetary score up, each cell named by its tier;
 * the segment's tiers are highlighted. Per-cell sizes are not exposed by the API, so none are drawn.
 */
export function RfmGrid({ definition }: { definition: Definition }) {
  const defaults = useApi<{ rfmTiers: TierRule[] }>('/segments/value-tiers');
  const table = (definition.tierTable as TierRule[] | undefined) ?? defaults.data?.rfmTiers;
  if (!table) return null;
  const chosen = new Set((definition.tiers as string[] | undefined) ?? []);
  const cell = 96;
  const rowHeight = 46;
  const left = 44;
  return (
    <figure className="rfm">
      <svg
        width={left + cell * 5 + 4}
        height={rowHeight * 5 + 40}
        role="img"
        aria-label={`RFM grid; this segment's tiers: ${[...chosen].join(', ')}`}
      >
        <title>RFM grid</title>
        {[5, 4, 3, 2, 1].map((fm, row) =>
          [1, 2, 3, 4, 5].map((r) => {
            const tier = tierAt(table, r, fm);
            const on = tier !== undefined && chosen.has(tier.key);
            return (
              <g key={`${r}-${fm}`}>
                <rect
                  x={left + (r - 1) * cell}
                  y={row * rowHeight}
                  width={cell - 2}
                  height={rowHeight - 2}
                  className={on ? 'rfm-cell on' : 'rfm-cell'}
                />
                <text
                  x={left + (r - 1) * cell + cell / 2}
                  y={row * rowHeight + rowHeight / 2 + 4}
                  textAnchor="middle"
                  className="rfm-label"
                >
                  {tier?.name ?? '—'}
                </text>
                <title>{`R ${r}, FM ${fm}: ${tier?.name ?? 'no tier'}${tier?.action ? ` — ${tier.action}` : ''}`}</title>
              </g>
            );
          }),
        )}
        {[1, 2, 3, 4, 5].map((r) => (
          <text key={`r${r}`} x={left + (r - 1) * cell + cell / 2} y={rowHeight * 5 + 14} textAnchor="middle" className="tick">
            R {r}
          </text>
        ))}
        {[5, 4, 3, 2, 1].map((fm, row) => (
          <text key={`fm${fm}`} x={left - 6} y={row * rowHeight + rowHeight / 2 + 4} textAnchor="end" className="tick">
            FM {fm}
          </text>
        ))}
        <text x={left + cell * 2.5} y={rowHeight * 5 + 32} textAnchor="middle" className="tick">
          recency score (5 = most recent)
        </text>
      </svg>
    </figure>
  );
}

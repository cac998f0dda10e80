export interface Bar {
  label: string;
  value: number;
}

/** Horizontal bars (values ≥ 0 or signed); `format` writes the value beside each bar. */
export function BarChart({
  bars,
  label,
  format = String,
  width = 520,
}: {
  bars: Bar[];
  label: string;
  format?: (value: number) => string;
  width?: number;
}) {
  const left = 170;
  const right = 70;
  const rowHeight = 24;
  const height = bars.length * rowHeight + 8;
  const min = Math.min(0, ...bars.map((bar) => bar.value));
  const max = Math.max(0, ...bars.map((bar) => bar.value), 1e-9);
  const x = (value: number) => left + ((value - min) / (max - min || 1)) * (width - left - right);
  return (
    <figure className="chart-figure">
      <figcaption className="muted">{label}</figcaption>
      <svg className="chart" width={width} height={height} role="img" aria-label={label}>
        <title>{label}</title>
        {bars.map((bar, index) => {
          const y = index * rowHeight + 4;
          const from = Math.min(x(0), x(bar.value));
          return (
            <g key={bar.label}>
              <text x={left - 8} y={y + 14} textAnchor="end" className="axis-label">
                {bar.label}
              </text>
              <rect
                x={from}
                y={y + 3}
                width={Math.max(1, Math.abs(x(bar.value) - x(0)))}
                height={rowHeight - 8}
                className={bar.value < 0 ? 'bar negative' : 'bar'}
              />
              <text x={Math.max(x(0), x(bar.value)) + 6} y={y + 14} className="tick">
                {format(bar.value)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

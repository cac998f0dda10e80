/** Size over runs, oldest left; the title gives the numbers to screen readers. */
export function Sparkline({
  values,
  label,
  width = 120,
  height = 28,
}: {
  values: number[];
  label: string;
  width?: number;
  height?: number;
}) {
  if (values.length === 0) return <span className="muted">no runs</span>;
  const max = Math.max(...values, 1);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const points = values.map((value, index) => `${(index * step).toFixed(1)},${(height - 2 - (value / max) * (height - 4)).toFixed(1)}`);
  return (
    <svg className="sparkline" width={width} height={height} role="img" aria-label={`${label}: ${values.join(', ')}`}>
      <title>{`${label}: ${values.join(', ')}`}</title>
      <polyline points={points.join(' ')} fill="none" stroke="currentColor" strokeWidth={1.5} />
      {values.length === 1 && <circle cx={4} cy={height / 2} r={2.5} fill="currentColor" />}
    </svg>
  );
}

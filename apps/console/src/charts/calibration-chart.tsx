import { formatFixed } from '../format';
/** Reliability diagram: mean predicted score against the observed rate per bin; the diagonal is perfect calibration. */
export function CalibrationChart({
  bins,
  size = 260,
}: {
  bins: { bin: number; count: number; meanPredicted: number; observedRate: number }[];
  size?: number;
}) {
  const pad = 30;
  const scale = (value: number) => pad + value * (size - 2 * pad);
  const flip = (value: number) => size - scale(value);
  return (
    <figure className="chart-figure">
      <figcaption className="muted">Calibration (held-out): predicted against observed rate per bin</figcaption>
      <svg className="chart" width={size} height={size} role="img" aria-label="Calibration: predicted against observed rate per bin">
        <title>Calibration: predicted against observed rate per bin</title>
        <rect x={pad} y={pad} width={size - 2 * pad} height={size - 2 * pad} className="frame" />
        <line x1={scale(0)} y1={flip(0)} x2={scale(1)} y2={flip(1)} className="zero" />
        {bins.map((bin) => (
          <circle
            key={bin.bin}
            cx={scale(bin.meanPredicted)}
            cy={flip(bin.observedRate)}
            r={3 + Math.min(5, Math.sqrt(bin.count) / 4)}
            className="point"
          >
            <title>{`bin ${bin.bin}: predicted ${formatFixed(bin.meanPredicted, 3)}, observed ${formatFixed(bin.observedRate, 3)} (${bin.count} profiles)`}</title>
          </circle>
        ))}
        <text x={size / 2} y={size - 6} textAnchor="middle" className="tick">
          predicted
        </text>
        <text x={10} y={size / 2} textAnchor="middle" className="tick" transform={`rotate(-90 10 ${size / 2})`}>
          observed
        </text>
      </svg>
    </figure>
  );
}

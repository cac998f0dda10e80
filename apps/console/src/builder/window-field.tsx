import { useId } from 'react';

const LAST = /^last (\d+) (minutes|hours|days|weeks)$/;

/** "last N units" or "ever", the two window forms a form can offer; other forms stay editable as text. */
export function WindowField({ value, onChange, label }: { value: string; onChange: (window: string) => void; label: string }) {
  const id = useId();
  const match = LAST.exec(value);
  const kind = value === 'ever' ? 'ever' : match ? 'last' : 'custom';
  return (
    <fieldset className="inline" aria-label={label}>
      <label htmlFor={`${id}-kind`} className="sr-only">
        {label}: kind
      </label>
      <select
        id={`${id}-kind`}
        value={kind}
        onChange={(event) => onChange(event.target.value === 'ever' ? 'ever' : event.target.value === 'last' ? 'last 7 days' : value)}
      >
        <option value="last">in the last</option>
        <option value="ever">ever</option>
        <option value="custom">custom</option>
      </select>
      {match && (
        <>
          <label htmlFor={`${id}-n`} className="sr-only">
            {label}: how many
          </label>
          <input
            id={`${id}-n`}
            type="number"
            min={1}
            value={match[1]}
            onChange={(event) => onChange(`last ${event.target.value} ${match[2]}`)}
            className="narrow"
          />
          <label htmlFor={`${id}-unit`} className="sr-only">
            {label}: unit
          </label>
          <select id={`${id}-unit`} value={match[2]} onChange={(event) => onChange(`last ${match[1]} ${event.target.value}`)}>
            {['minutes', 'hours', 'days', 'weeks'].map((unit) => (
              <option key={unit}>{unit}</option>
            ))}
          </select>
        </>
      )}
      {kind === 'custom' && (
        <>
          <label htmlFor={`${id}-text`} className="sr-only">
            {label}: text
          </label>
          <input
            id={`${id}-text`}
            value={value}
            placeholder="between 2026-01-01 and 2026-02-01"
            onChange={(event) => onChange(event.target.value)}
          />
        </>
      )}
    </fieldset>
  );
}

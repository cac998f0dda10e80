import { useId, useState } from 'react';
import { cadenceKind, CadenceKind, MANUAL, REALTIME } from '../segments/cadence';

const DEFAULT_SCHEDULE = '0 6 * * *';

/**
 * The cadence of a segment: manual, a schedule (cron, UTC) or real time. The schedule's text is
 * kept while another choice is made, so switching back does not lose it.
 */
const SEGMENT_HINT =
  'Real time: members enter and exit within seconds of each event and when a time window passes, with no refresh to wait for; only rules can be real time, not RFM tiers, fitted models or references to segments that are not real time.';

export function CadenceField({
  value,
  onChange,
  hint = SEGMENT_HINT,
}: {
  value: string;
  onChange: (value: string) => void;
  hint?: string;
}) {
  const id = useId();
  const kind = cadenceKind(value);
  const [schedule, setSchedule] = useState(kind === 'schedule' ? value : DEFAULT_SCHEDULE);
  const choose = (next: CadenceKind) => onChange(next === 'realtime' ? REALTIME : next === 'manual' ? MANUAL : schedule);
  const option = (choice: CadenceKind, label: string) => (
    <label className="choice">
      <input type="radio" name={`${id}-cadence`} checked={kind === choice} onChange={() => choose(choice)} />
      {label}
    </label>
  );
  return (
    <fieldset className="form-row cadence" aria-describedby={`${id}-hint`}>
      <legend>Cadence</legend>
      {option('manual', 'Manual (refresh when asked)')}
      {option('schedule', 'On a schedule')}
      {kind === 'schedule' && (
        <div className="form-row">
          <label htmlFor={`${id}-cron`}>Schedule (cron, UTC)</label>
          <input
            id={`${id}-cron`}
            value={schedule}
            onChange={(event) => {
              setSchedule(event.target.value);
              onChange(event.target.value);
            }}
          />
        </div>
      )}
      {option('realtime', 'Real time')}
      <small id={`${id}-hint`} className="muted">
        {hint}
      </small>
    </fieldset>
  );
}

import { useState } from 'react';
import { LiftReport } from '../activations/lift-report';
import { api, describeError } from '../api-client';
import { formatDate, formatNumber, formatPercent } from '../format';
import { useCanWriteTraits } from '../traits/write-access';
import type { Destination, Page, Segment } from '../types';
import { useApi } from '../use-api';
import { describeStep, STEP_TYPE_LABELS } from './journey-steps';
import { JourneyDefinition, JourneyReport, JourneyStep, JourneyStepCounts, JourneyView, liftForCard } from './journeys-api';
import { StatusBadge } from './journeys-list-page';

/**
 * `#/journeys/:key`: the journey's steps as a vertical flow with the counts of each from
 * `GET /journeys/:key/report`, the totals, and the goal's lift (treated vs the control held out at
 * entry) on the activation lift card. Marketers publish or pause it and open the editor.
 */
export function JourneyPage({ journeyKey }: { journeyKey: string }) {
  const ref = encodeURIComponent(journeyKey);
  const journey = useApi<JourneyView>(`/journeys/${ref}`);
  const report = useApi<JourneyReport>(`/journeys/${ref}/report`);
  const destinations = useApi<Page<Destination>>('/destinations?limit=100');
  const segments = useApi<Page<Segment>>('/segments?limit=500');
  const canWrite = useCanWriteTraits();
  const [message, setMessage] = useState<string>();

  const transition = async (action: 'publish' | 'pause') => {
    try {
      await api('POST', `/journeys/${ref}/${action}`);
      setMessage(undefined);
      journey.reload();
      report.reload();
    } catch (failure) {
      setMessage(describeError(failure));
    }
  };

  const data = journey.data;
  if (journey.error) return <p role="alert">{journey.error}</p>;
  if (!data) return <p>Loading…</p>;
  const names = {
    destination: (id: string) => destinations.data?.items.find((item) => item.id === id)?.name ?? id,
    segment: (id: string) => segments.data?.items.find((item) => item.id === id)?.key ?? id,
  };
  const lift = report.data ? liftForCard(report.data.lift, data.id, data.definition.goal) : undefined;
  return (
    <section aria-labelledby="journey-title">
      <div className="page-head">
        <h1 id="journey-title">
          {data.name} <StatusBadge status={data.status} />
        </h1>
        {canWrite && (
          <div className="actions">
            {(data.status === 'draft' || data.status === 'paused') && (
              <button type="button" className="primary" onClick={() => void transition('publish')}>
                Publish
              </button>
            )}
            {data.status === 'live' && (
              <button type="button" onClick={() => void transition('pause')}>
                Pause
              </button>
            )}
            <a className="button" href={`#/journeys/${ref}/edit`}>
              Edit
            </a>
          </div>
        )}
      </div>
      {message && <p role="alert">{message}</p>}
      <JourneyFacts journey={data} segmentKey={names.segment(data.definition.entrySegmentId)} />
      <div className="grid">
        <section className="card" aria-labelledby="flow-title">
          <h2 id="flow-title">Steps{report.data?.version ? ` (version ${report.data.version})` : ''}</h2>
          {report.error && <p role="alert">{report.error}</p>}
          <StepFlow steps={data.definition.steps} counts={report.data?.steps} names={names} />
        </section>
        <div>
          <section className="card" aria-labelledby="totals-title">
            <h2 id="totals-title">Totals</h2>
            {report.data ? (
              <JourneyTotals totals={report.data.totals} />
            ) : (
              <p>{report.error ? 'No report (see the steps).' : 'Loading…'}</p>
            )}
          </section>
          <section className="card" aria-labelledby="journey-lift-title">
            <div className="page-head">
              <h2 id="journey-lift-title">Lift of the goal</h2>
              <button type="button" onClick={report.reload}>
                Refresh report
              </button>
            </div>
            {!lift ? (
              <p>{report.error ? 'No report (see the steps).' : 'Loading…'}</p>
            ) : 'reason' in lift ? (
              <p>No lift yet: {lift.reason}.</p>
            ) : (
              <LiftReport lift={lift.response} />
            )}
          </section>
        </div>
      </div>
      <section className="card" aria-labelledby="versions-title">
        <h2 id="versions-title">Versions</h2>
        <p className="muted">Saving the journey makes a new version; profiles already in flight finish on the version they entered.</p>
        <ul>
          {data.versions.map((version) => (
            <li key={version.version}>
              v{version.version} · {formatDate(version.createdAt)}
              {version.version === data.currentVersion ? ' (current)' : ''}
            </li>
          ))}
        </ul>
      </section>
    </section>
  );
}

function JourneyFacts({ journey, segmentKey }: { journey: JourneyView; segmentKey: string }) {
  const definition: JourneyDefinition = journey.definition;
  return (
    <dl className="facts card">
      <dt>Key</dt>
      <dd>
        <code>{journey.key}</code>
      </dd>
      <dt>Entry segment</dt>
      <dd>
        <a href={`#/segments/${definition.entrySegmentId}`}>{segmentKey}</a>
      </dd>
      <dt>Goal</dt>
      <dd>{definition.goal ? `“${definition.goal.event}” within ${definition.goal.withinDays} days of entry` : 'none'}</dd>
      <dt>Control group</dt>
      <dd>{formatPercent(definition.holdoutShare, 0)} held out at entry, never contacted</dd>
      <dt>Re-entry</dt>
      <dd>{definition.reEntry.mode === 'after_days' ? `again after ${definition.reEntry.days} days` : 'once ever'}</dd>
      <dt>Version</dt>
      <dd>v{journey.currentVersion}</dd>
    </dl>
  );
}

export function JourneyTotals({ totals }: { totals: JourneyReport['totals'] }) {
  return (
    <dl className="facts" aria-label="Totals">
      <dt>Entered</dt>
      <dd>{formatNumber(totals.entered)}</dd>
      <dt>Treatment</dt>
      <dd>{formatNumber(totals.treatment)}</dd>
      <dt>Control (held out)</dt>
      <dd>{formatNumber(totals.control)}</dd>
      {totals.globalHoldout ? (
        <>
          <dt>Global holdout</dt>
          <dd>{formatNumber(totals.globalHoldout)}</dd>
        </>
      ) : null}
      <dt>In flight</dt>
      <dd>{formatNumber(totals.inFlight)}</dd>
      <dt>Goal reached</dt>
      <dd>{formatNumber(totals.goalReached)}</dd>
      {totals.completed !== undefined && (
        <>
          <dt>Completed (no goal)</dt>
          <dd>{formatNumber(totals.completed)}</dd>
        </>
      )}
      {totals.exited !== undefined && (
        <>
          <dt>Left by an exit step</dt>
          <dd>{formatNumber(totals.exited)}</dd>
        </>
      )}
    </dl>
  );
}

type CountName =
  | 'entered'
  | 'sent'
  | 'waiting'
  | 'then'
  | 'else'
  | 'waited'
  | 'eventSeen'
  | 'timedOut'
  | 'exited'
  | 'goalReached'
  | 'capped'
  | 'suppressed'
  | 'heldOut'
  | 'invalid'
  | 'skipped'
  | 'rejected'
  | 'failed'
  | 'inFlight';

/** Each count a card can show, in the order shown, with its words. */
const COUNT_LABELS: [CountName, string][] = [
  ['entered', 'entered'],
  ['sent', 'sent'],
  ['inFlight', 'at the vendor'],
  ['waiting', 'waiting'],
  ['waited', 'waited'],
  ['eventSeen', 'saw the event'],
  ['timedOut', 'timed out'],
  ['then', 'then'],
  ['else', 'else'],
  ['exited', 'exited'],
  ['goalReached', 'goal reached before it'],
  ['capped', 'capped'],
  ['suppressed', 'suppressed'],
  ['invalid', 'without a valid identifier'],
  ['heldOut', 'held out'],
  ['skipped', 'skipped'],
  ['rejected', 'rejected'],
  ['failed', 'failed'],
];

/** The counts a step of each type always shows; any other count shows when it is not zero. */
const COUNTS_BY_TYPE: Record<string, CountName[]> = {
  send: ['entered', 'sent', 'goalReached', 'capped', 'suppressed', 'invalid', 'skipped'],
  audience: ['entered', 'sent', 'goalReached', 'suppressed', 'invalid', 'skipped'],
  wait: ['entered', 'waiting', 'goalReached'],
  wait_until: ['entered', 'waiting', 'eventSeen', 'timedOut', 'goalReached'],
  branch: ['entered', 'then', 'else', 'goalReached'],
  exit: ['entered', 'exited'],
};

function countOf(count: JourneyStepCounts, name: CountName): number | null {
  switch (name) {
    case 'then':
      return count.branched.then;
    case 'else':
      return count.branched.else;
    case 'waited':
    case 'eventSeen':
    case 'timedOut':
      return count.waits?.[name] ?? 0;
    default:
      return (count[name] as number | null | undefined) ?? null;
  }
}

/** "5 entered · 4 sent · 0 goal reached before it · 1 capped · 2 suppressed · 0 without a valid identifier · 0 skipped" (held out only when not zero). */
export function describeCounts(count: JourneyStepCounts): string {
  const always = new Set(COUNTS_BY_TYPE[count.type] ?? ['entered']);
  return COUNT_LABELS.filter(([name]) => {
    const value = countOf(count, name);
    return value !== null && (always.has(name) || value > 0);
  })
    .map(([name, label]) => `${formatNumber(countOf(count, name))} ${label}`)
    .join(' · ');
}

/** The steps top to bottom, one card each (type, what it does, its counts), joined by arrows. */
export function StepFlow({
  steps,
  counts,
  names,
}: {
  steps: JourneyStep[];
  counts?: JourneyStepCounts[];
  names?: Parameters<typeof describeStep>[1];
}) {
  if (steps.length === 0) return <p className="muted">No steps.</p>;
  return (
    <ol className="step-flow" aria-label="Step flow">
      {steps.map((step, index) => {
        const count = counts?.find((item) => item.id === step.id);
        return (
          <li key={step.id} className="step-card" aria-label={`Step ${index + 1}: ${step.id}`}>
            <div className="step-card-head">
              <span className="badge">{STEP_TYPE_LABELS[step.type] ?? step.type}</span> <code>{step.id}</code>
            </div>
            <p className="step-card-text">{describeStep(step, names)}</p>
            {count ? <p className="step-counts">{describeCounts(count)}</p> : counts ? <p className="muted">no counts yet</p> : null}
          </li>
        );
      })}
    </ol>
  );
}

import { useId, useState } from 'react';
import { api, describeError } from '../api-client';
import { FieldErrors, FieldIssue, FieldIssuesProvider, issuesOf } from '../builder/field-errors';
import { useCanWriteTraits } from '../traits/write-access';
import type { Destination, Page, Segment } from '../types';
import { useApi } from '../use-api';
import { describeCap, FrequencyCap } from '../activations/orchestration-api';
import { dottedPath, PlaysResult } from './journeys-api';

/** The four plays of the intent × value matrix and the destination each one uses. */
export const PLAY_DESTINATIONS = [
  { field: 'owned', label: 'Owned channel (high intent, high value)' },
  { field: 'retargeting', label: 'Capped retargeting (high intent, low value)' },
  { field: 'winBack', label: 'Win-back journey (low intent, high value)' },
  { field: 'paidMedia', label: 'Paid media to exclude from (low intent, low value)' },
] as const;
type PlayDestination = (typeof PLAY_DESTINATIONS)[number]['field'];

export interface PlaysForm {
  intentSegment: string;
  valueSegment: string;
  destinations: Record<PlayDestination, string>;
  offers: [string, string, string];
  waitDays: string;
  /** Prefix of the created keys (the API's default: `<intent>_x_<value>`). */
  key: string;
}

/** The `POST /plays` body: offers only when any is typed (all three then), wait days when given. */
export function playsRequestOf(form: PlaysForm): Record<string, unknown> {
  const body: Record<string, unknown> = {
    intentSegment: form.intentSegment,
    valueSegment: form.valueSegment,
    destinations: { ...form.destinations },
  };
  if (form.offers.some((offer) => offer.trim() !== '')) body['offers'] = form.offers.map((offer) => offer.trim());
  if (form.key.trim() !== '') body['key'] = form.key.trim();
  if (form.waitDays.trim() !== '') body['waitDays'] = Number.isFinite(Number(form.waitDays)) ? Number(form.waitDays) : form.waitDays;
  return body;
}

/** Paths shown next to their field; anything else the API names goes to the form's alert. */
const PLACED = ['intentSegment', 'valueSegment', 'key', 'destinations', 'offers', 'waitDays'];

/**
 * `#/plays`: from an intent segment and a value segment, one `POST /plays` creates the four plays —
 * the owned-channel send, the capped retargeting audience, the win-back journey with three
 * escalating offers and the paid-media exclusion — each a normal activation or journey, linked here.
 */
export function PlaysPage() {
  const segments = useApi<Page<Segment>>('/segments?limit=500');
  const destinations = useApi<Page<Destination>>('/destinations?limit=100');
  const canWrite = useCanWriteTraits();
  const [created, setCreated] = useState<PlaysResult>();
  return (
    <>
      <h1>Plays</h1>
      <p className="muted">
        The intent × value matrix in one step: high intent and high value get the owned channel, high intent and low value a capped
        retargeting audience, low intent and high value a win-back journey with escalating offers, low intent and low value are excluded
        from paid media. Each play is then an ordinary activation or journey you can edit.
      </p>
      {(segments.error ?? destinations.error) && <p role="alert">{segments.error ?? destinations.error}</p>}
      {canWrite === false && <p className="muted">Creating plays is for marketers and admins.</p>}
      {canWrite && <PlaysForm segments={segments.data?.items ?? []} destinations={destinations.data?.items ?? []} onCreated={setCreated} />}
      {created && <PlaysCreated result={created} />}
    </>
  );
}

function PlaysForm({
  segments,
  destinations,
  onCreated,
}: {
  segments: Segment[];
  destinations: Destination[];
  onCreated: (result: PlaysResult) => void;
}) {
  const id = useId();
  const [form, setForm] = useState<PlaysForm>({
    intentSegment: '',
    valueSegment: '',
    destinations: { owned: '', retargeting: '', winBack: '', paidMedia: '' },
    offers: ['', '', ''],
    waitDays: '',
    key: '',
  });
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [alert, setAlert] = useState<string>();
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    try {
      const result = await api<PlaysResult>('POST', '/plays', playsRequestOf(form));
      setIssues([]);
      setAlert(undefined);
      onCreated(result);
    } catch (failure) {
      const found = issuesOf(failure).map((issue) => ({ ...issue, path: dottedPath(issue.path) }));
      const rest = found.filter((issue) => !PLACED.some((at) => issue.path === at || issue.path.startsWith(`${at}.`)));
      setIssues(found);
      setAlert(
        found.length === 0 ? describeError(failure) : rest.map((issue) => `${issue.path}: ${issue.message}`).join('; ') || undefined,
      );
    }
  };
  const segmentSelect = (field: 'intentSegment' | 'valueSegment', label: string) => (
    <div className="form-row">
      <label htmlFor={`${id}-${field}`}>{label}</label>
      <select id={`${id}-${field}`} value={form[field]} onChange={(event) => setForm({ ...form, [field]: event.target.value })}>
        <option value="">choose…</option>
        {segments.map((segment) => (
          <option key={segment.id} value={segment.key}>
            {segment.name} ({segment.key})
          </option>
        ))}
      </select>
      <FieldErrors at={field} />
    </div>
  );
  return (
    <FieldIssuesProvider value={issues}>
      <form onSubmit={submit} className="card" aria-label="Create the plays">
        <div className="grid">
          <div>
            <h2>Segments</h2>
            {segmentSelect('intentSegment', 'Intent segment (high intent members)')}
            {segmentSelect('valueSegment', 'Value segment (high value members)')}
            <div className="form-row">
              <label htmlFor={`${id}-key`}>Key prefix of what is created (optional)</label>
              <input id={`${id}-key`} value={form.key} onChange={(event) => setForm({ ...form, key: event.target.value })} />
              <FieldErrors at="key" />
            </div>
            <h2>Win-back offers</h2>
            <p className="muted">Sent in this order while the goal is not reached; leave all three empty for the default offers.</p>
            {form.offers.map((offer, index) => (
              <div className="form-row" key={index}>
                <label htmlFor={`${id}-offer-${index}`}>Offer {index + 1}</label>
                <input
                  id={`${id}-offer-${index}`}
                  value={offer}
                  onChange={(event) =>
                    setForm({
                      ...form,
                      offers: form.offers.map((other, at) => (at === index ? event.target.value : other)) as PlaysForm['offers'],
                    })
                  }
                />
                <FieldErrors at={`offers.${index}`} />
              </div>
            ))}
            <FieldErrors at="offers" exact />
            <div className="form-row">
              <label htmlFor={`${id}-wait`}>Days between offers (optional, 3 by default)</label>
              <input
                id={`${id}-wait`}
                className="narrow"
                value={form.waitDays}
                inputMode="numeric"
                onChange={(event) => setForm({ ...form, waitDays: event.target.value })}
              />
              <FieldErrors at="waitDays" />
            </div>
          </div>
          <div>
            <h2>Destinations</h2>
            {PLAY_DESTINATIONS.map(({ field, label }) => (
              <div className="form-row" key={field}>
                <label htmlFor={`${id}-${field}`}>{label}</label>
                <select
                  id={`${id}-${field}`}
                  value={form.destinations[field]}
                  onChange={(event) => setForm({ ...form, destinations: { ...form.destinations, [field]: event.target.value } })}
                >
                  <option value="">choose…</option>
                  {destinations.map((destination) => (
                    <option key={destination.id} value={destination.id}>
                      {destination.name} ({destination.connector})
                    </option>
                  ))}
                </select>
                <FieldErrors at={`destinations.${field}`} />
              </div>
            ))}
            <FieldErrors at="destinations" exact />
          </div>
        </div>
        {alert && <p role="alert">{alert}</p>}
        <button type="submit" className="primary">
          Create the four plays
        </button>
      </form>
    </FieldIssuesProvider>
  );
}

const PLAY_LABELS: Record<NonNullable<PlaysResult['activations'][number]['play']>, string> = {
  owned_send: 'Owned-channel send',
  retargeting: 'Capped retargeting',
  paid_media_exclusion: 'Paid media excluding low intent, low value',
};

/** What one `POST /plays` created, each linked to its own page. */
export function PlaysCreated({ result }: { result: PlaysResult }) {
  return (
    <section className="card" aria-labelledby="plays-created-title">
      <h2 id="plays-created-title">Created</h2>
      <h3>Segments</h3>
      <ul aria-label="Created segments">
        {result.segments.map((segment) => (
          <li key={segment.id}>
            <a href={`#/segments/${segment.id}`}>{segment.name}</a> <code>{segment.key}</code>
          </li>
        ))}
      </ul>
      <h3>Activations</h3>
      <ul aria-label="Created activations">
        {result.activations.map((activation) => (
          <li key={activation.id}>
            {activation.play ? `${PLAY_LABELS[activation.play]}: ` : ''}
            <a href={`#/activations/${activation.id}`}>{activation.name}</a>
          </li>
        ))}
      </ul>
      {result.frequencyCap && (
        <p>
          Frequency cap {result.frequencyCap.reused ? '(already there)' : '(created)'}: {result.frequencyCap.name},{' '}
          {describeCap(result.frequencyCap as FrequencyCap)}
        </p>
      )}
      <h3>Journey</h3>
      <p>
        Win-back journey: <a href={`#/journeys/${encodeURIComponent(result.journey.key)}`}>{result.journey.name}</a> (
        {result.journey.status === 'draft' ? 'a draft: publish it on its page' : result.journey.status})
      </p>
    </section>
  );
}

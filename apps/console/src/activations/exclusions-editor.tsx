import { useId, useState } from 'react';
import { api, ApiError, describeError } from '../api-client';
import type { Activation } from '../types';

/** "retarget, churned " → ["retarget", "churned"]: keys typed comma- or space-separated, blanks dropped. */
export const splitSegmentRefs = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .map((ref) => ref.trim())
    .filter(Boolean);

/**
 * Edits an activation's excluded segments (issue #23) for marketers: the keys as one text field
 * (any segment key or id the API resolves), saved whole with `PATCH /activations/:id
 * { excludeSegments }` — `[]` removes every exclusion. The API's 400 (`excludeSegments[1]: no
 * segment with key or id "nope"`, or the activation's own segment) is shown under the field, and
 * nothing changes until a save succeeds.
 */
export function ExclusionsEditor({
  activationId,
  currentKeys,
  segmentKeys,
  onSaved,
}: {
  activationId: string;
  currentKeys: string[];
  /** Offered as suggestions while typing. */
  segmentKeys: string[];
  onSaved: (activation: Activation) => void;
}) {
  const id = useId();
  const [text, setText] = useState(currentKeys.join(', '));
  const [problem, setProblem] = useState<string>();
  const [status, setStatus] = useState<string>();
  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    try {
      const saved = await api<Activation>('PATCH', `/activations/${activationId}`, { excludeSegments: splitSegmentRefs(text) });
      setProblem(undefined);
      setStatus(saved.excludeSegmentIds?.length ? `Saved: ${saved.excludeSegmentIds.length} excluded segment(s)` : 'Saved: no exclusions');
      onSaved(saved);
    } catch (failure) {
      setStatus(undefined);
      setProblem(failure instanceof ApiError ? failure.describe() : describeError(failure));
    }
  };
  return (
    <form onSubmit={save} aria-label="Edit exclusions">
      <div className="form-row">
        <label htmlFor={`${id}-exclusions`}>Excluded segments (keys, comma-separated)</label>
        <input
          id={`${id}-exclusions`}
          list={`${id}-keys`}
          value={text}
          aria-describedby={problem ? `${id}-problem` : undefined}
          onChange={(event) => setText(event.target.value)}
        />
        <datalist id={`${id}-keys`}>
          {segmentKeys.map((key) => (
            <option key={key} value={key} />
          ))}
        </datalist>
        {problem && (
          <span id={`${id}-problem`} className="field-error error-text" role="alert">
            {problem}
          </span>
        )}
      </div>
      <button type="submit">Save exclusions</button>
      {status && <p role="status">{status}</p>}
    </form>
  );
}

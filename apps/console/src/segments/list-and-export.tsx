import { useState } from 'react';
import { ApiError, describeError, storedKey } from '../api-client';
import { formatNumber } from '../format';

const KINDS = ['email', 'phone', 'user_id', 'anonymous_id'] as const;

interface UploadReport {
  version: number;
  lines: number;
  identifiers: number;
  duplicates: number;
  matched: number;
  unmatched: { count: number; lines: { line: number; value: string }[] };
  invalid: { count: number; lines: { line: number; value: string; reason: string }[] };
}

/** Sends a request with the signed-in key and a raw body; the API's error body becomes an ApiError. */
async function raw(method: string, path: string, body?: Blob, type?: string): Promise<Response> {
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${storedKey() ?? ''}`, ...(type ? { 'content-type': type } : {}) },
    body,
  });
  if (response.ok) return response;
  const parsed = await response.json().catch(() => undefined);
  throw new ApiError(
    response.status,
    parsed?.code ?? String(response.status),
    parsed?.message ?? response.statusText,
    parsed?.details ?? [],
    parsed ?? {},
  );
}

/**
 * A list segment's upload (POST /segments/:id/list, the file sent as text/csv): the report with
 * each invalid line and each unmatched value by line number; the refresh it queued shows in the runs.
 */
export function ListUpload({ segmentId, onUploaded }: { segmentId: string; onUploaded: () => void }) {
  const [file, setFile] = useState<File>();
  const [report, setReport] = useState<UploadReport>();
  const [error, setError] = useState<string>();
  const upload = async () => {
    if (!file) return;
    try {
      const response = await raw('POST', `/segments/${segmentId}/list`, file, 'text/csv');
      setReport((await response.json()) as UploadReport);
      setError(undefined);
      onUploaded();
    } catch (failure) {
      setError(describeError(failure));
    }
  };
  return (
    <section className="card" aria-labelledby="list-upload-title">
      <h2 id="list-upload-title">Upload the list</h2>
      <label>
        CSV file (one identifier a line, or a header naming the column)
        <input type="file" accept=".csv,text/csv" onChange={(event) => setFile(event.target.files?.[0])} />
      </label>
      <button type="button" className="primary" disabled={!file} onClick={upload}>
        Upload
      </button>
      {error && <p role="alert">{error}</p>}
      {report && (
        <div role="group" aria-label="Upload report">
          <p role="status">
            Version v{report.version}: {formatNumber(report.lines)} lines, {formatNumber(report.identifiers)} identifiers,{' '}
            {formatNumber(report.matched)} matched, {formatNumber(report.unmatched.count)} unmatched, {formatNumber(report.invalid.count)}{' '}
            invalid
          </p>
          <ul aria-label="Lines not taken">
            {report.invalid.lines.map((line) => (
              <li key={`i${line.line}`}>
                line {line.line}: invalid ({line.reason}): {line.value}
              </li>
            ))}
            {report.unmatched.lines.map((line) => (
              <li key={`u${line.line}`}>
                line {line.line}: no profile has {line.value}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

/** The member export (admin only; GET /segments/:id/members/export), downloaded as a CSV file. */
export function MembersExport({ segmentId, segmentKey }: { segmentId: string; segmentKey: string }) {
  const [kinds, setKinds] = useState<string[]>(['email']);
  const [message, setMessage] = useState<string>();
  const download = async () => {
    try {
      const response = await raw('GET', `/segments/${segmentId}/members/export?identifiers=${kinds.join(',')}`);
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `${segmentKey}-members.csv`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setMessage(`Downloaded ${link.download} (${formatNumber(blob.size)} bytes)`);
    } catch (failure) {
      setMessage(describeError(failure));
    }
  };
  const toggle = (kind: string) => setKinds(kinds.includes(kind) ? kinds.filter((k) => k !== kind) : [...kinds, kind]);
  return (
    <section className="card" aria-labelledby="export-title">
      <h2 id="export-title">Export members</h2>
      <fieldset>
        <legend>Identifiers</legend>
        {KINDS.map((kind) => (
          <label key={kind}>
            <input type="checkbox" checked={kinds.includes(kind)} onChange={() => toggle(kind)} /> {kind}
          </label>
        ))}
      </fieldset>
      <button type="button" disabled={kinds.length === 0} onClick={download}>
        Export CSV (admin)
      </button>
      {message && <p role="status">{message}</p>}
    </section>
  );
}

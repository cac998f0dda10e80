import { createContext, useContext } from 'react';
import { ApiError } from '../api-client';

/** One problem the API's 400 names: `definition.match.conditions.0.steps.1.event`, and why. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** The fields a 400 names (`definition.match.…`, `definition.property`, `key`…), for the form to show next to each. */
export const issuesOf = (error: unknown): FieldIssue[] =>
  error instanceof ApiError
    ? error.details.filter((detail): detail is FieldIssue => typeof detail.path === 'string' && detail.path !== '')
    : [];

const IssuesContext = createContext<FieldIssue[]>([]);

/** Gives every field under it the API's latest problems (from the live preview or a save). */
export const FieldIssuesProvider = IssuesContext.Provider;

/** The issues about `at`: exactly it, or (unless `exact`) anything inside it. */
export function issuesAt(issues: readonly FieldIssue[], at: string, exact = false): FieldIssue[] {
  return issues.filter((issue) => issue.path === at || (!exact && issue.path.startsWith(`${at}.`)));
}

/** The API's messages about a field, shown next to it. */
export function FieldErrors({ at, exact = false }: { at: string; exact?: boolean }) {
  const found = issuesAt(useContext(IssuesContext), at, exact);
  if (found.length === 0) return null;
  return (
    <span className="field-error error-text" role="note" aria-label={`Problem with ${at}`}>
      {found.map((issue) => (issue.path === at ? issue.message : `${issue.path.slice(at.length + 1)}: ${issue.message}`)).join('; ')}
    </span>
  );
}

import { useId, useState } from 'react';
import { api, describeError, storeKey } from './api-client';

/** Checks the key with a viewer-level call before keeping it in sessionStorage. */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const id = useId();
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    try {
      await api('GET', '/segments?limit=1', undefined, key.trim());
      storeKey(key.trim());
      onSignedIn();
    } catch (failure) {
      setError(describeError(failure));
    }
  };
  return (
    <main className="sign-in">
      <form onSubmit={submit} className="card" aria-labelledby={`${id}-title`}>
        <h1 id={`${id}-title`}>audiencekit console</h1>
        <p>Sign in with an admin-API key (viewer, marketer or admin). It is kept for this tab only.</p>
        <div className="form-row">
          <label htmlFor={`${id}-key`}>API key</label>
          <input
            id={`${id}-key`}
            type="password"
            autoComplete="off"
            required
            autoFocus
            value={key}
            onChange={(event) => setKey(event.target.value)}
          />
        </div>
        {error && <p role="alert">{error}</p>}
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>
    </main>
  );
}

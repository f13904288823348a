import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, api, setCsrfToken, unwrap } from '../api.ts';

export function SignIn() {
  const client = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const session = await unwrap(
        api.POST('/v1/session', {
          body: { email: String(form.get('email')), password: String(form.get('password')) },
        }),
      );
      setCsrfToken(session.csrfToken);
      client.setQueryData(['session'], session);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.problem.detail : 'Could not reach the server');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in" id="main">
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Leadloop</h1>
        <label>
          E-mail
          <input name="email" type="email" autoComplete="username" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">The first start prints the demo admin's e-mail and password.</p>
      </form>
    </main>
  );
}

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect } from 'react';
import { ApiError, api, setCsrfToken, unwrap } from './api.ts';

export interface Session {
  user: { id: string; email: string; name: string };
  workspaceId: string;
  organisationId: string;
  role: 'admin' | 'member' | 'viewer';
  organisationRole: 'admin' | 'member' | 'viewer' | null;
  csrfToken: string;
  workspaces: { workspaceId: string; workspaceName: string; role: string }[];
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

/** What the signed-in role may do; the API refuses the rest anyway. */
export function useCan() {
  const { role } = useSession();
  return { operate: role === 'admin' || role === 'member', administer: role === 'admin' };
}

const sessionQuery = {
  queryKey: ['session'],
  queryFn: async (): Promise<Session | null> => {
    try {
      const session = (await unwrap(api.GET('/v1/session'))) as Session;
      setCsrfToken(session.csrfToken);
      return session;
    } catch (error) {
      if (error instanceof ApiError && error.problem.status === 401) return null;
      throw error;
    }
  },
  staleTime: 60_000,
};

export function SessionGate(props: { signIn: ReactNode; children: ReactNode }) {
  const client = useQueryClient();
  const session = useQuery(sessionQuery);
  useEffect(() => {
    // Any 401 (session ended elsewhere: sign out everywhere) brings the sign-in back.
    const onSignedOut = () => client.setQueryData(['session'], null);
    window.addEventListener('leadloop:signed-out', onSignedOut);
    return () => window.removeEventListener('leadloop:signed-out', onSignedOut);
  }, [client]);
  if (session.isPending) return <p className="loading">Loading…</p>;
  if (!session.data) return <>{props.signIn}</>;
  return <SessionContext.Provider value={session.data}>{props.children}</SessionContext.Provider>;
}

import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect } from 'react';
import { BrowserRouter, NavLink, Route, Routes, useLocation } from 'react-router';
import { api, unwrap } from './api.ts';
import { useLiveEvents } from './live.ts';
import { SessionGate, useSession } from './session.tsx';
import { Conversations } from './views/conversations.tsx';
import { Decisions } from './views/decisions.tsx';
import { Inbox } from './views/inbox.tsx';
import { LeadPage } from './views/lead.tsx';
import { Optimiser } from './views/optimiser.tsx';
import { Privacy } from './views/privacy.tsx';
import { Settings } from './views/settings.tsx';
import { SignIn } from './views/sign-in.tsx';
import { Workflows } from './views/workflows.tsx';

// Charts are the heaviest part: they load when the analytics view opens, not with the console.
const Analytics = lazy(() => import('./views/analytics.tsx'));

function Shell() {
  const session = useSession();
  const client = useQueryClient();
  const live = useLiveEvents();
  const location = useLocation();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the active link moves with the path, which the DOM query does not name
  useEffect(() => {
    // At phone width the navigation scrolls sideways: keep the current view's link in sight.
    document.querySelector('.top nav a.active')?.scrollIntoView({ block: 'nearest', inline: 'center' });
  }, [location.pathname]);
  const signOut = async () => {
    await unwrap(api.DELETE('/v1/session'));
    client.setQueryData(['session'], null);
  };
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Leadloop</span>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Inbox
          </NavLink>
          <NavLink to="/conversations">Conversations</NavLink>
          <NavLink to="/decisions">Decisions</NavLink>
          <NavLink to="/analytics">Analytics</NavLink>
          <NavLink to="/workflows">Workflows</NavLink>
          <NavLink to="/privacy">Privacy</NavLink>
          <NavLink to="/optimiser">Optimiser</NavLink>
          <NavLink to="/settings">Settings</NavLink>
        </nav>
        <span className="who">
          <span className={`dot ${live}`} title={`live updates: ${live}`} />
          <span className="visually-hidden">live updates {live}</span>
          {session.user.email} · {session.role}
          <button type="button" className="link" onClick={signOut}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main">
        <Suspense fallback={<p className="loading">Loading…</p>}>
          <Routes>
            <Route path="/" element={<Inbox />} />
            <Route path="/leads/:id" element={<LeadPage />} />
            <Route path="/conversations" element={<Conversations />} />
            <Route path="/conversations/:id" element={<Conversations />} />
            <Route path="/decisions" element={<Decisions />} />
            <Route path="/analytics" element={<Analytics />} />
            <Route path="/settings" element={<Settings />} />
            <Route path="/workflows" element={<Workflows />} />
            <Route path="/privacy" element={<Privacy />} />
            <Route path="/optimiser" element={<Optimiser />} />
            <Route path="*" element={<p>Nothing here. Use the navigation above.</p>} />
          </Routes>
        </Suspense>
      </main>
    </div>
  );
}

export function App() {
  return (
    <BrowserRouter basename="/app">
      <SessionGate signIn={<SignIn />}>
        <Shell />
      </SessionGate>
    </BrowserRouter>
  );
}

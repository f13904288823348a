import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { importN8nWorkflow, type Workflow } from '../src/workflows/index.ts';
import { DIALECTS, stopTestApp, type TestRuntime } from './support/runtime.ts';
import { type HttpSink, type ReceivedRequest, startHttpSink } from './support/sinks.ts';
import { runToEnd, startWorkflowApp } from './support/workflow-fixtures.ts';

/**
 * Gmail operations imported from n8n run as Gmail API calls with a Google OAuth credential: the
 * engine refreshes the access token at a local token endpoint that checks Google's refresh
 * request shape, seals the new token back into the credential store, reuses it while it is
 * valid, and never puts the secrets into a run's record.
 */

const ACTOR = { type: 'system' as const, id: 'test' };
const SECRET = 'client-secret-never-in-output';
const REFRESH = 'refresh-token-never-in-output';

const gmailWorkflow = {
  name: 'Label replies',
  nodes: [
    { name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} },
    {
      name: 'Label',
      type: 'n8n-nodes-base.gmail',
      typeVersion: 2.1,
      parameters: { operation: 'addLabels', messageId: '={{ $json.trigger.id }}', labelIds: ['Label_42'] },
    },
    {
      name: 'Read',
      type: 'n8n-nodes-base.gmail',
      typeVersion: 2.1,
      parameters: { operation: 'markAsRead', messageId: '={{ $json.trigger.id }}' },
    },
    {
      name: 'Find folder',
      type: 'n8n-nodes-base.googleDrive',
      typeVersion: 3,
      parameters: {
        resource: 'fileFolder',
        queryString: '={{ $json.trigger.company }}',
        filter: { whatToSearch: 'folders' },
        options: {},
      },
    },
    {
      name: 'Fetch',
      type: 'n8n-nodes-base.gmail',
      typeVersion: 2.1,
      parameters: { operation: 'get', messageId: '={{ $json.trigger.id }}' },
    },
  ],
  connections: {
    Start: { main: [[{ node: 'Label', type: 'main', index: 0 }]] },
    Label: { main: [[{ node: 'Read', type: 'main', index: 0 }]] },
    Read: { main: [[{ node: 'Find folder', type: 'main', index: 0 }]] },
    'Find folder': { main: [[{ node: 'Fetch', type: 'main', index: 0 }]] },
  },
};

function googleServer() {
  let issued = 0;
  const answer = (request: ReceivedRequest, res: import('node:http').ServerResponse) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(`http://x${request.url}`);
    if (url.pathname === '/token') {
      const form = new URLSearchParams(request.body);
      if (!String(request.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
        return json(400, { error: 'invalid_request' });
      if (form.get('grant_type') !== 'refresh_token') return json(400, { error: 'unsupported_grant_type' });
      if (form.get('client_id') !== 'client-1' || form.get('client_secret') !== SECRET)
        return json(401, { error: 'invalid_client' });
      if (form.get('refresh_token') !== REFRESH) return json(400, { error: 'invalid_grant' });
      issued += 1;
      return json(200, { access_token: `ya29.token-${issued}`, expires_in: 3599, token_type: 'Bearer' });
    }
    const auth = String(request.headers.authorization ?? '');
    const n = Number(/^Bearer ya29\.token-(\d+)$/.exec(auth)?.[1] ?? 0);
    if (n < 1 || n > issued) return json(401, { error: { code: 401, status: 'UNAUTHENTICATED' } });
    const base = '/gmail/v1/users/me/messages/m-1';
    if (request.method === 'POST' && url.pathname === `${base}/modify`) {
      const body = JSON.parse(request.body) as { addLabelIds?: unknown; removeLabelIds?: unknown };
      const ok = [body.addLabelIds, body.removeLabelIds].every((l) => l === undefined || Array.isArray(l));
      return ok
        ? json(200, { id: 'm-1', labelIds: ['INBOX', 'Label_42'] })
        : json(400, { error: { code: 400, message: 'labelIds must be arrays' } });
    }
    if (request.method === 'GET' && url.pathname === '/drive/v3/files') {
      const q = url.searchParams.get('q');
      if (
        q !==
        "trashed = false and name contains 'Initech' and mimeType = 'application/vnd.google-apps.folder'"
      )
        return json(400, { error: { code: 400, message: `bad q ${q}` } });
      return json(200, {
        files: [{ id: 'f-1', name: 'Initech', mimeType: 'application/vnd.google-apps.folder' }],
      });
    }
    if (request.method === 'GET' && url.pathname === base && url.searchParams.get('format') === 'metadata')
      return json(200, { id: 'm-1', threadId: 't-1', snippet: 'Thanks!', labelIds: ['INBOX', 'Label_42'] });
    json(404, { error: { code: 404, message: `no ${request.method} ${url.pathname}` } });
  };
  return { answer, issued: () => issued };
}

for (const dialect of DIALECTS) {
  describe(`Gmail and Drive through refreshed Google OAuth tokens (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    let sink: HttpSink;
    const google = googleServer();
    const ws = { workspaceId: '', apiKey: '' };
    before(async () => {
      sink = await startHttpSink(google.answer);
      const app = await startWorkflowApp(dialect, { workers: 2 });
      ({ runtime, http } = app);
      Object.assign(ws, app.ws);
    });
    after(async () => {
      await stopTestApp({ runtime, http });
      await sink.close();
    });

    const runOnce = (workflowId: string) =>
      runToEnd(runtime, ws, workflowId, { leadId: null, data: { id: 'm-1', company: 'Initech' } });

    it('refreshes once, stores the token sealed, reuses it, and keeps the secrets out of the run', () =>
      inWorkspace(ws.workspaceId, async () => {
        const scope = { workspaceId: ws.workspaceId };
        for (const name of ['google_drive', 'gmail'])
          await runtime.workflows.credentials.put(runtime.store.db, scope, name, {
            kind: 'google_oauth',
            clientId: 'client-1',
            clientSecret: SECRET,
            refreshToken: REFRESH,
            tokenUrl: `${sink.url}/token`,
          });
        const imported = importN8nWorkflow(gmailWorkflow);
        assert.ok(imported.ok);
        assert.deepEqual(
          imported.report.nodes
            .filter((n) => n.type !== 'n8n-nodes-base.manualTrigger')
            .map((n) => n.outcome),
          ['approximated', 'approximated', 'approximated', 'approximated'],
        );
        const text = JSON.stringify(imported.workflow)
          .split('https://gmail.googleapis.com')
          .join(sink.url)
          .split('https://www.googleapis.com')
          .join(sink.url);
        const created = await runtime.workflows.service.create(ws, JSON.parse(text) as Workflow, ACTOR);

        const first = await runOnce(created.id);
        assert.equal(first.status, 'completed', JSON.stringify(first.steps));
        assert.equal(google.issued(), 2, 'one refresh per credential (gmail, google_drive) serves its calls');
        const folder = first.steps.find(
          (s) => (s.output as { saveAs?: string } | null)?.saveAs === 'find_folder',
        );
        assert.deepEqual(
          (folder?.output as { response?: { files?: unknown } } | undefined)?.response?.files,
          [{ id: 'f-1', name: 'Initech', mimeType: 'application/vnd.google-apps.folder' }],
        );
        const stored = await runtime.workflows.credentials.reveal(
          runtime.store.db,
          scope,
          'gmail',
          'google_oauth',
        );
        assert.equal(stored?.accessToken, 'ya29.token-1');
        assert.ok((stored?.expiresAt ?? 0) > Date.now() + 3_000_000, 'expiry from expires_in');
        assert.equal(stored?.refreshToken, REFRESH, 'the refresh token is kept');
        const sealed = await runtime.inspect
          .selectFrom('workflow_credentials')
          .select('sealed')
          .where('name', '=', 'gmail')
          .executeTakeFirstOrThrow();
        assert.ok(!String(sealed.sealed).includes('ya29.token-1'), 'stored sealed, not in clear');
        const fetched = first.steps.find((s) => (s.output as { saveAs?: string } | null)?.saveAs === 'fetch');
        assert.equal(
          (fetched?.output as { response?: { snippet?: string } } | undefined)?.response?.snippet,
          'Thanks!',
        );
        const modifies = sink.requests
          .filter((r) => r.url.endsWith('/modify'))
          .map((r) => JSON.parse(r.body));
        assert.deepEqual(modifies, [{ addLabelIds: ['Label_42'] }, { removeLabelIds: ['UNREAD'] }]);
        const record = JSON.stringify(first);
        for (const secret of [SECRET, REFRESH, 'ya29.'])
          assert.ok(!record.includes(secret), `the run record does not hold ${secret}`);

        const second = await runOnce(created.id);
        assert.equal(second.status, 'completed');
        assert.equal(google.issued(), 2, 'valid stored tokens are reused, not refreshed');

        await runtime.workflows.credentials.put(runtime.store.db, scope, 'gmail', {
          ...(stored as NonNullable<typeof stored>),
          expiresAt: Date.now() - 1,
        });
        const third = await runOnce(created.id);
        assert.equal(third.status, 'completed');
        assert.equal(google.issued(), 3, 'the expired gmail token is refreshed, the drive one is not');
      }));

    it('a revoked refresh token fails the step without retrying and without the secret in the error', () =>
      inWorkspace(ws.workspaceId, async () => {
        await runtime.workflows.credentials.put(runtime.store.db, { workspaceId: ws.workspaceId }, 'gmail', {
          kind: 'google_oauth',
          clientId: 'client-1',
          clientSecret: SECRET,
          refreshToken: 'revoked',
          tokenUrl: `${sink.url}/token`,
        });
        const imported = importN8nWorkflow(gmailWorkflow);
        assert.ok(imported.ok);
        const text = JSON.stringify(imported.workflow).split('https://gmail.googleapis.com').join(sink.url);
        const created = await runtime.workflows.service.create(ws, JSON.parse(text) as Workflow, ACTOR);
        const count = (part: string) => sink.requests.filter((r) => r.url.includes(part)).length;
        const tokenBefore = count('/token');
        const gmailBefore = count('/gmail/');
        const run = await runOnce(created.id);
        assert.equal(run.status, 'failed');
        assert.equal(count('/token') - tokenBefore, 1, 'invalid_grant is not retried');
        assert.equal(count('/gmail/') - gmailBefore, 0, 'no Gmail call without a token');
        const record = JSON.stringify(run);
        assert.match(record, /invalid_grant/);
        assert.ok(!record.includes(SECRET) && !record.includes('revoked'), 'no secret in the failure');
      }));
  });
}

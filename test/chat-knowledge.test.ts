import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HttpApp } from '../src/http/index.ts';
import { createKnowledgeCommand } from '../src/main/commands/knowledge-command.ts';
import { runCommand } from './support/cli.ts';
import { call } from './support/http.ts';
import { DIALECTS, startTestApp, stopTestApp, type TestRuntime, testWorkspace } from './support/runtime.ts';

const PRICING = [
  '# Pricing',
  '',
  '## Per-seat pricing',
  'Pricing works per seat: each user with a login is one seat, at 39 EUR per seat and month on the Team plan.',
  '',
  '## Cancellation',
  'Monthly plans can be cancelled at any time; the cancellation takes effect at the end of the billing month.',
].join('\n');

const FAQ = 'We integrate with HubSpot and Salesforce out of the box. Other CRMs connect through webhooks.';

interface Message {
  role: string;
  text: string;
}

for (const dialect of DIALECTS) {
  describe(`chat knowledge per workspace (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    let ws: { workspaceId: string; apiKey: string; widgetKey: string };
    let other: { workspaceId: string; apiKey: string; widgetKey: string };
    let dir: string;

    before(async () => {
      ({ runtime, http } = await startTestApp(dialect));
      ws = await testWorkspace(runtime, 'Knows');
      other = await testWorkspace(runtime, 'Knows nothing');
      dir = mkdtempSync(join(tmpdir(), 'leadloop-knowledge-'));
    });
    after(async () => {
      rmSync(dir, { recursive: true, force: true });
      await stopTestApp({ runtime, http });
    });

    const put = (body: unknown, key = ws.apiKey) =>
      call(http.app, 'PUT', '/v1/chat/knowledge', { key, body: body as Record<string, unknown> });
    const start = async (widgetKey = ws.widgetKey) => {
      const started = await call(http.app, 'POST', '/v1/chat/sessions', { body: { widgetKey } });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      return started.body.sessionId as string;
    };
    const say = async (sessionId: string, text: string, widgetKey = ws.widgetKey) => {
      const response = await call(http.app, 'POST', `/v1/chat/sessions/${sessionId}/messages`, {
        body: { text },
        headers: { 'x-widget-key': widgetKey },
      });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return (response.body.messages as Message[]).map((m) => m.text);
    };

    it('stores the documents a PUT gives, audited, and lists them in order', async () => {
      const stored = await put({
        documents: [
          { title: 'Pricing', content: PRICING },
          { title: 'Integrations FAQ', format: 'text', content: FAQ },
        ],
      });
      assert.equal(stored.status, 200, JSON.stringify(stored.body));
      assert.equal(stored.body.documents, 2);
      // Markdown splits on `## `: the two pricing sections (the H1 alone holds no text), plus the FAQ.
      assert.equal(stored.body.sections, 3);
      assert.equal(stored.body.characters, PRICING.length + FAQ.length);
      assert.match(stored.body.revision as string, /^[0-9a-f]{16}$/);
      const listed = await call(http.app, 'GET', '/v1/chat/knowledge', { key: ws.apiKey });
      assert.equal(listed.status, 200);
      assert.deepEqual(
        (listed.body.items as { title: string; format: string }[]).map((d) => [d.title, d.format]),
        [
          ['Pricing', 'markdown'],
          ['Integrations FAQ', 'text'],
        ],
      );
      assert.equal(listed.body.revision, stored.body.revision);
      const audit = await call(
        http.app,
        'GET',
        `/v1/audit?subject=${encodeURIComponent(`chat-knowledge:${ws.workspaceId}`)}`,
        { key: ws.apiKey },
      );
      const entries = audit.body.items as { action: string; actor: { id: string } }[];
      assert.equal(entries[0]?.action, 'chat.knowledge_replaced', JSON.stringify(audit.body).slice(0, 300));
    });

    it('refuses bad documents with problem+json naming the field and the reason, and keeps the old ones', async () => {
      const before = await call(http.app, 'GET', '/v1/chat/knowledge', { key: ws.apiKey });
      const cases: Array<[unknown, RegExp]> = [
        [{ documents: [{ title: '', content: 'x' }] }, /^body\.documents\.0\.title$/],
        [{ documents: [{ title: 'Empty', content: '   ' }] }, /^body\.documents\.0\.content$/],
        [
          {
            documents: [
              { title: 'Same', content: 'a' },
              { title: 'same', content: 'b' },
            ],
          },
          /^body\.documents\.1\.title$/,
        ],
        [{ documents: [{ title: 'Huge', content: 'x'.repeat(100_001) }] }, /^body\.documents\.0\.content$/],
        [
          { documents: Array.from({ length: 201 }, (_, i) => ({ title: `T${i}`, content: 'x' })) },
          /^body\.documents$/,
        ],
        [{ documents: [{ title: 'Odd', content: 'x', format: 'pdf' }] }, /^body\.documents\.0\.format$/],
        [{ docs: [] }, /^body(\.docs)?$/],
      ];
      for (const [body, field] of cases) {
        const refused = await put(body);
        assert.equal(refused.status, 400, JSON.stringify(refused.body).slice(0, 300));
        assert.match(refused.headers['content-type'] as string, /application\/problem\+json/);
        const issues = refused.body.errors as { field: string; reason: string }[];
        assert.ok(
          issues.some((issue) => field.test(issue.field) && issue.reason.length > 0),
          `${JSON.stringify(issues)} names ${field}`,
        );
      }
      const total = await put({
        documents: Array.from({ length: 11 }, (_, i) => ({
          title: `Page ${i}`,
          content: 'y'.repeat(99_000),
        })),
      });
      assert.equal(total.status, 400);
      assert.match(JSON.stringify(total.body.errors), /at most 1000000/);
      const readOnly = await runtime.tenants.createApiKey({
        workspaceId: ws.workspaceId,
        scope: 'read',
        actor: { type: 'system', id: 'test' },
      });
      assert.equal((await put({ documents: [] }, readOnly.key)).status, 403);
      const after = await call(http.app, 'GET', '/v1/chat/knowledge', { key: ws.apiKey });
      assert.deepEqual(after.body, before.body);
    });

    it('answers a visitor’s question from the loaded content, then goes on with the playbook', async () => {
      const sessionId = await start();
      const replies = await say(sessionId, 'Hi! Does your pricing work per seat?');
      const answer = replies.findIndex((text) => /39 EUR per seat/.test(text));
      assert.ok(answer >= 0, `answered from the content: ${JSON.stringify(replies)}`);
      // Then the playbook's first question (the need), asked after the answer.
      const question = replies.findIndex((text) => /what (brings you|can we help)/i.test(text));
      assert.ok(question > answer, JSON.stringify(replies));

      const next = await say(sessionId, 'We lose inbound leads because nobody calls them back quickly.');
      assert.ok(
        next.some((text) => /role/i.test(text)),
        `the playbook moves on to the role: ${JSON.stringify(next)}`,
      );
      // A question in the middle of the playbook: answered, and the pending question is asked again.
      const middle = await say(sessionId, 'Which CRMs do you integrate with?');
      assert.ok(
        middle.some((text) => /HubSpot and Salesforce/.test(text)),
        JSON.stringify(middle),
      );
      assert.ok(middle.at(-1) !== undefined && /role/i.test(middle.at(-1) as string), JSON.stringify(middle));
      const role = await say(sessionId, "I'm the VP of Sales and I sign off on tools like this.");
      assert.ok(
        role.some((text) => /when|timeline/i.test(text)),
        `the answer to the question did not cost an attempt: ${JSON.stringify(role)}`,
      );
      const session = await call(http.app, 'GET', `/v1/chat/sessions/${sessionId}`, { key: ws.apiKey });
      const slots = session.body.slots as Record<string, unknown>;
      assert.equal(slots.authority, 'vp');
      assert.match(String(slots.need), /nobody calls them back/);
    });

    it('says it does not know and offers a person when the content has no answer, then asks again', async () => {
      const sessionId = await start();
      const replies = await say(sessionId, 'Do you have an office in Tokyo?');
      assert.ok(
        replies.some((text) => /don't know/i.test(text) && /human/i.test(text)),
        `declines and offers a person: ${JSON.stringify(replies)}`,
      );
      assert.ok(!replies.some((text) => /39 EUR|HubSpot/.test(text)), 'no guessed answer');
      assert.ok(/what (brings you|can we help)/i.test(replies.at(-1) as string), JSON.stringify(replies));
      const handoff = await say(sessionId, 'human');
      assert.ok(
        handoff.some((text) => /team|colleague/i.test(text)),
        JSON.stringify(handoff),
      );
    });

    it('uses new content from the next question after a PUT, and no other workspace’s content', async () => {
      const sessionId = await start();
      assert.ok((await say(sessionId, 'Does your pricing work per seat?')).some((t) => /39 EUR/.test(t)));
      const replaced = await put({
        documents: [{ title: 'Pricing', content: '## Per-seat pricing\nEvery seat costs 55 EUR a month.' }],
      });
      assert.equal(replaced.status, 200);
      const again = await say(sessionId, 'How much does a seat cost?');
      assert.ok(
        again.some((t) => /55 EUR/.test(t)),
        `the cache was invalidated: ${JSON.stringify(again)}`,
      );
      assert.ok(!again.some((t) => /39 EUR/.test(t)));

      // A workspace without content: the question is not answered from another workspace's.
      const elsewhere = await start(other.widgetKey);
      const replies = await say(elsewhere, 'How much does a seat cost?', other.widgetKey);
      assert.ok(!replies.some((t) => /55 EUR/.test(t)), JSON.stringify(replies));
      const otherList = await call(http.app, 'GET', '/v1/chat/knowledge', { key: other.apiKey });
      assert.equal(otherList.body.documents, 0);
      assert.equal(otherList.body.revision, null);
    });

    it('`leadloop knowledge load` reads a folder’s .md and .txt files with progress, and the chat answers from them', async () => {
      const folder = join(dir, 'content');
      mkdirSync(join(folder, 'faq'), { recursive: true });
      writeFileSync(join(folder, 'pricing.md'), PRICING);
      writeFileSync(
        join(folder, 'faq', 'security.md'),
        '## Data residency\nAll customer data is hosted in Frankfurt, Germany.',
      );
      writeFileSync(join(folder, 'faq', 'trial-period.txt'), 'The free trial lasts 21 days, no card needed.');
      writeFileSync(join(folder, 'notes.json'), '{"ignored": true}');
      const command = createKnowledgeCommand(async () => ({ ...runtime, close: async () => {} }));
      const loaded = await runCommand(command, runtime, ['load', '--workspace', other.workspaceId, folder]);
      assert.equal(loaded.code, 0, loaded.stderr);
      assert.match(loaded.stderr, /\[1\/3\] faq\/security\.md/);
      assert.match(loaded.stderr, /\[3\/3\] pricing\.md: "Pricing"/);
      assert.match(loaded.stdout, /3 documents, 4 sections/);
      const listed = await call(http.app, 'GET', '/v1/chat/knowledge', { key: other.apiKey });
      assert.deepEqual(
        (listed.body.items as { title: string; format: string }[]).map((d) => [d.title, d.format]),
        [
          ['security', 'markdown'],
          ['trial period', 'text'],
          ['Pricing', 'markdown'],
        ],
      );
      const sessionId = await start(other.widgetKey);
      const replies = await say(sessionId, 'How long is the free trial?', other.widgetKey);
      assert.ok(
        replies.some((t) => /21 days/.test(t)),
        JSON.stringify(replies),
      );

      const empty = join(dir, 'empty');
      mkdirSync(empty);
      const refused = await runCommand(command, runtime, [
        'load',
        '--workspace',
        other.workspaceId,
        empty,
      ]).catch((error: Error) => ({ code: 1, stdout: '', stderr: error.message }));
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /no \.md or \.txt files/);
    });
  });
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock, inWorkspace } from '../src/core/index.ts';
import type { NewDomainEvent } from '../src/events/index.ts';
import { loadFixture, openAiTextStream } from '../src/models/testing/protocol-server.ts';
import { useAppWithModelServer } from './support/app.ts';
import { call } from './support/http.ts';
import { createTestLiveOptimiser } from './support/live-optimiser.ts';
import { metricSeries, metricTotalOverDay } from './support/metric-total.ts';
import { DIALECTS, eventually } from './support/runtime.ts';

const START = Date.UTC(2026, 7, 3, 12);
const MINUTE = 60_000;
const ACTOR = { type: 'system' as const, id: 'test' };

/** A structured answer with no slots, in OpenAI's wire shape (usage: 143 prompt, 38 answer tokens). */
function objectAnswer() {
  const recorded = loadFixture<{ choices: { message: { content: string } }[] }>('openai-chat-json.json');
  (recorded.choices[0] as { message: { content: string } }).message.content = JSON.stringify({ slots: {} });
  return recorded;
}

for (const dialect of DIALECTS) {
  describe(`chat's own model calls in spend and model health (${dialect})`, () => {
    const clock = createManualClock(START);
    const app = useAppWithModelServer(dialect, { clock, config: { LEADLOOP_CHAT_MODEL_TIMEOUT_MS: '2000' } });

    /** The local provider answers (or, `failing`, refuses) every call from now on. */
    function script(failing: boolean) {
      app.server.reset();
      app.server.respond('/v1/chat/completions', (request) =>
        failing
          ? {
              status: 400,
              json: { error: { message: 'the provider is down', type: 'invalid_request_error' } },
            }
          : request.body.stream === true
            ? {
                sse: openAiTextStream(['Happily: ', 'tell me more.'], {
                  prompt_tokens: 40,
                  completion_tokens: 12,
                }),
              }
            : { json: objectAnswer() },
      );
    }

    /** A conversation: its start (one reply worded) and one visitor message (extraction and wording). */
    async function converse(widgetKey: string) {
      const started = await call(app.http.app, 'POST', '/v1/chat/sessions', { body: { widgetKey } });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const turn = await call(app.http.app, 'POST', `/v1/chat/sessions/${started.body.sessionId}/messages`, {
        body: { text: 'We lose leads because nobody calls back' },
        headers: { 'x-widget-key': widgetKey },
      });
      assert.equal(turn.status, 200, JSON.stringify(turn.body));
    }

    const total = (workspaceId: string, metric: 'model_calls' | 'model_spend' | 'model_tokens') =>
      metricTotalOverDay(app.runtime, clock, workspaceId, metric);

    it('counts chat extraction and wording calls in model_calls, model_tokens and model_spend', async () => {
      const { workspace, widgetKey } = await app.runtime.tenants.createWorkspace({
        name: 'Chat spend',
        actor: ACTOR,
      });
      script(false);
      await converse(widgetKey);
      const requests = app.server.requests.length;
      assert.ok(requests >= 3, `the model was called ${requests} times`);
      // Every call the provider saw is counted once (the events land just after each call).
      const calls = await eventually(async () => {
        const n = await total(workspace.id, 'model_calls');
        return n >= requests ? n : undefined;
      });
      assert.equal(calls, requests);
      assert.ok((await total(workspace.id, 'model_tokens')) >= 143 + 38 + 40 + 12);
      // gpt-4o-mini at its list price: a few hundred tokens cost a fraction of a cent, not 0.
      const spend = await total(workspace.id, 'model_spend');
      assert.ok(spend > 0 && spend < 0.01, `spend ${spend}`);
      const events = await inWorkspace(workspace.id, () =>
        app.runtime.events.readSince(workspace.id, 0, 1000),
      );
      const used = events.filter((e) => e.type === 'model.used');
      assert.equal(used.length, requests);
      assert.ok(used.some((e) => e.data.task === 'chat.extract'));
      assert.ok(used.some((e) => e.data.task === 'chat.phrase'));
      assert.equal(
        events.filter((e) => e.type === 'council.decided').length,
        0,
        'no council decision was asked for',
      );
    });

    it('counts failed chat calls in model_error_rate, and the monitor’s model-health alert opens on them', async () => {
      const { workspace, widgetKey } = await app.runtime.tenants.createWorkspace({
        name: 'Chat errors',
        actor: ACTOR,
      });
      const ws = workspace.id;
      const now = Math.floor(START / MINUTE) + 3 * 1440;
      // A healthy day before: 100 model calls, one failed.
      await inWorkspace(ws, () =>
        app.runtime.store.transaction(async (trx) => {
          for (let i = 0; i < 100; i++) {
            clock.set((now - 1400 + i * 12) * MINUTE);
            const event: NewDomainEvent = {
              type: 'model.used',
              subject: ws,
              data: {
                task: 'chat.phrase',
                calls: 1,
                failedCalls: i === 50 ? 1 : 0,
                latencyMs: 900,
                tokens: 50,
              },
            };
            await app.runtime.events.append(trx, ws, [event]);
          }
        }),
      );
      clock.set(now * MINUTE);
      const optimiser = createTestLiveOptimiser(app.runtime, clock);
      assert.deepEqual((await optimiser.monitor(ws)).opened, [], 'nothing is wrong yet');

      // The provider starts refusing: every chat call fails and the offline wording stands in.
      script(true);
      clock.set((now + 1) * MINUTE + 1_000);
      for (let i = 0; i < 3; i++) await converse(widgetKey);
      const failed = app.server.requests.length;
      assert.ok(failed >= 6, `${failed} failed calls`);
      await eventually(async () => ((await total(ws, 'model_calls')) >= 100 + failed ? true : undefined));
      const errors = await metricSeries(app.runtime, ws, {
        metric: 'model_error_rate',
        window: '1m',
        from: (now + 1) * MINUTE,
        to: (now + 2) * MINUTE,
      });
      assert.equal(errors.points[0]?.value, 1, 'every call of the minute failed');
      assert.equal(errors.points[0]?.count, failed);

      clock.set((now + 3) * MINUTE);
      const report = await optimiser.monitor(ws);
      assert.equal(report.opened.length, 1, JSON.stringify(report));
      const alert = await inWorkspace(ws, () =>
        optimiser.alert({ workspaceId: ws, organisationId: '' }, report.opened[0] as string),
      );
      assert.equal(alert.kind, 'model_error_spike');
      assert.equal(alert.evidence.metric, 'model_error_rate');
      assert.equal(alert.evidence.observed.count, failed);
      assert.ok(alert.evidence.baseline.value <= 0.011, `baseline ${alert.evidence.baseline.value}`);
    });
  });
}

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createManualClock, LeadloopError } from '../src/core/index.ts';
import { signCalendly } from '../src/main/calendly-inbound.ts';
import { createEngagements } from '../src/main/engagements.ts';
import type { Store } from '../src/store/index.ts';
import { useTestApp } from './support/app.ts';
import { call, json } from './support/http.ts';
import { leadRow, workflowRunRow, workflowStepRow } from './support/rows.ts';
import { DIALECTS, testWorkspace } from './support/runtime.ts';

const KEY_A = 'calendly-signing-key-of-workspace-a';
const KEY_B = 'calendly-signing-key-of-workspace-b';

/** Calendly's invitee webhook body (the fields the route reads, and some it passes over). */
const delivery = (event: 'invitee.created' | 'invitee.canceled', email: string, invitee: string) =>
  JSON.stringify({
    created_at: '2026-12-07T09:00:00.000000Z',
    created_by: 'https://api.calendly.com/users/AAAA',
    event,
    payload: {
      uri: `https://api.calendly.com/scheduled_events/EV1/invitees/${invitee}`,
      email,
      name: 'Ada Lovelace',
      status: event === 'invitee.created' ? 'active' : 'canceled',
      rescheduled: false,
      scheduled_event: {
        uri: 'https://api.calendly.com/scheduled_events/EV1',
        name: 'Intro call',
        start_time: '2026-12-09T15:00:00.000000Z',
        end_time: '2026-12-09T15:30:00.000000Z',
      },
    },
  });

describe('Calendly signature, before anything is read', () => {
  // A store and event log that fail the test if touched: refusals must read nothing but the key.
  const untouchable = new Proxy({} as Store, {
    get(_target, name) {
      throw new Error(`the store was read (${String(name)}) before the signature verified`);
    },
  });
  const clock = createManualClock(Date.UTC(2026, 11, 7, 9));
  const now = Math.floor(clock.now() / 1000);
  const body = delivery('invitee.created', 'ada@example.com', 'INV1');
  const refusal = async (signature: string | undefined, key: string | null, raw = body) => {
    let keyReads = 0;
    let admitted = false;
    const engagements = createEngagements({
      store: untouchable,
      events: untouchable as never,
      clock,
      calendlyKey: async () => {
        keyReads++;
        return key;
      },
    });
    const error = await engagements
      .recordCalendly('ws_X', { signature, rawBody: raw }, async () => {
        admitted = true;
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    assert.ok(error instanceof LeadloopError, String(error));
    assert.equal(error.code, 'signature_invalid');
    assert.equal(admitted, false, 'the rate limit is charged only after the signature verified');
    return { keyReads, reason: error.issues[0]?.reason ?? '', field: error.issues[0]?.field };
  };

  it('refuses unsigned, malformed, stale, wrongly signed and tampered deliveries', async () => {
    const unsigned = await refusal(undefined, KEY_A);
    assert.equal(unsigned.field, 'header.calendly-webhook-signature');
    assert.equal(unsigned.keyReads, 0, 'no key lookup for an unsigned request');
    assert.equal((await refusal('sha256=abc', KEY_A)).keyReads, 0);
    const stale = await refusal(signCalendly(KEY_A, now - 181, body), KEY_A);
    assert.match(stale.reason, /181s old; the tolerance is 180s/);
    assert.equal(stale.keyReads, 0);
    assert.match((await refusal(signCalendly(KEY_A, now + 600, body), KEY_A)).reason, /ahead/);
    const wrong = await refusal(signCalendly(KEY_B, now, body), KEY_A);
    assert.equal(wrong.keyReads, 1);
    assert.match(wrong.reason, /does not match/);
    const tampered = await refusal(signCalendly(KEY_A, now, body), KEY_A, body.replace('ada@', 'eve@'));
    assert.match(tampered.reason, /does not match/);
    assert.match((await refusal(signCalendly(KEY_A, now, body), null)).reason, /no signing key is stored/);
  });
});

for (const dialect of DIALECTS) {
  describe(`Calendly meetings inbound (${dialect})`, () => {
    const app = useTestApp(dialect);
    const ws = { a: { id: '', key: '' }, b: { id: '', key: '' } };

    before(async () => {
      for (const name of ['a', 'b'] as const) {
        const made = await testWorkspace(app.runtime, `Calendly ${name}`, `Org calendly ${name}`);
        ws[name] = { id: made.workspaceId, key: made.apiKey };
        const stored = await call(app.http.app, 'PUT', '/v1/workflow-credentials/calendly', {
          key: made.apiKey,
          body: { kind: 'webhook_secret', secret: name === 'a' ? KEY_A : KEY_B },
        });
        assert.equal(stored.status, 200, JSON.stringify(stored.body));
      }
      const at = app.runtime.clock.now();
      await app.runtime.inspect
        .insertInto('leads')
        .values([
          leadRow('lead_cal_a', ws.a.id, at, { email: 'ada@example.com' }),
          leadRow('lead_cal_b', ws.b.id, at, { email: 'bob@example.com' }),
        ])
        .execute();
      // The workflow whose e-mail reached Ada last: her meeting counts for it.
      await app.runtime.inspect
        .insertInto('workflow_runs')
        .values(workflowRunRow('wfr_cal', ws.a.id, 'wf_intro', 'lead_cal_a', at - 60_000))
        .execute();
      await app.runtime.inspect
        .insertInto('workflow_steps')
        .values(
          workflowStepRow(ws.a.id, 'wfr_cal', { id: 'hello', type: 'send_email', output: {} }, at - 60_000),
        )
        .execute();
    });

    const post = async (workspaceId: string, body: string, key: string, signature?: string) =>
      json(
        await app.http.app.inject({
          method: 'POST',
          url: `/v1/meetings/calendly/${workspaceId}`,
          headers: {
            'content-type': 'application/json',
            'calendly-webhook-signature':
              signature ?? signCalendly(key, Math.floor(app.runtime.clock.now() / 1000), body),
          },
          payload: body,
        }),
      );
    const meetings = async (key: string, segment: string) => {
      const res = await call(
        app.http.app,
        'GET',
        `/v1/analytics/metrics?metric=meetings&segment=${encodeURIComponent(segment)}&window=1d`,
        { key },
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return (res.body.points as { value: number | null }[]).reduce((a, p) => a + (p.value ?? 0), 0);
    };

    it('records a booking for the lead with the invitee’s e-mail, once per invitee, and cancels it for good', async () => {
      const created = delivery('invitee.created', 'Ada@Example.com', 'INV_A1');
      const first = await post(ws.a.id, created, KEY_A);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual(first.body, {
        event: 'invitee.created',
        invitee: 'https://api.calendly.com/scheduled_events/EV1/invitees/INV_A1',
        leadId: 'lead_cal_a',
        workflowId: 'wf_intro',
        recorded: true,
        replayed: false,
        note: 'meeting recorded',
      });
      // The same signed request again (a replay inside the window) changes nothing.
      const signature = signCalendly(KEY_A, Math.floor(app.runtime.clock.now() / 1000), created);
      assert.equal((await post(ws.a.id, created, KEY_A, signature)).body.replayed, true);
      assert.equal((await post(ws.a.id, created, KEY_A, signature)).body.replayed, true);
      assert.equal(await meetings(ws.a.key, 'all'), 1);
      assert.equal(await meetings(ws.a.key, 'workflow:wf_intro'), 1);

      const canceled = delivery('invitee.canceled', 'ada@example.com', 'INV_A1');
      const cancel = await post(ws.a.id, canceled, KEY_A);
      assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
      assert.equal(cancel.body.recorded, true);
      assert.equal(cancel.body.note, 'meeting canceled');
      assert.equal((await post(ws.a.id, canceled, KEY_A)).body.replayed, true);
      // A replayed booking after its cancellation does not bring the meeting back.
      assert.equal((await post(ws.a.id, created, KEY_A)).body.replayed, true);
      assert.equal(await meetings(ws.a.key, 'all'), 0);
      assert.equal(await meetings(ws.a.key, 'workflow:wf_intro'), 0);

      // A cancellation of a booking never recorded here stores nothing.
      const stray = await post(ws.a.id, delivery('invitee.canceled', 'ada@example.com', 'INV_NEVER'), KEY_A);
      assert.equal(stray.body.recorded, false);
      const events = await app.runtime.inspect
        .selectFrom('domain_events')
        .select(['type', 'data'])
        .where('workspace_id', '=', ws.a.id)
        .where('type', 'in', ['meeting.booked', 'meeting.canceled'])
        .execute();
      assert.deepEqual(events.map((e) => e.type).sort(), ['meeting.booked', 'meeting.canceled']);
      assert.ok(
        events.every((e) => !String(e.data).includes('Ada') && !String(e.data).includes('@')),
        'no name or e-mail stored',
      );
    });

    it('answers plainly when no lead has the e-mail, and never reaches another workspace’s lead', async () => {
      const unknown = await post(ws.a.id, delivery('invitee.created', 'nobody@example.com', 'INV_X'), KEY_A);
      assert.equal(unknown.status, 200);
      assert.equal(unknown.body.recorded, false);
      assert.equal(unknown.body.leadId, null);
      assert.match(String(unknown.body.note), /no lead of this workspace/);
      // Bob is B's lead: A's signed delivery naming him finds nothing in A.
      const bobInA = await post(ws.a.id, delivery('invitee.created', 'bob@example.com', 'INV_BOB'), KEY_A);
      assert.equal(bobInA.body.recorded, false);
      // B's key does not open A's endpoint.
      const forged = await post(ws.a.id, delivery('invitee.created', 'ada@example.com', 'INV_F'), KEY_B);
      assert.equal(forged.status, 401);
      assert.equal(forged.body.errors?.[0]?.field, 'header.calendly-webhook-signature');
      assert.equal(await meetings(ws.b.key, 'all'), 0);
    });

    it('refuses unsigned and stale deliveries with 401, and names the field of a bad body', async () => {
      const body = delivery('invitee.created', 'ada@example.com', 'INV_S');
      const unsigned = json(
        await app.http.app.inject({
          method: 'POST',
          url: `/v1/meetings/calendly/${ws.a.id}`,
          headers: { 'content-type': 'application/json' },
          payload: body,
        }),
      );
      assert.equal(unsigned.status, 401);
      assert.equal(unsigned.body.errors?.[0]?.field, 'header.calendly-webhook-signature');
      const old = signCalendly(KEY_A, Math.floor(app.runtime.clock.now() / 1000) - 600, body);
      assert.equal((await post(ws.a.id, body, KEY_A, old)).status, 401);
      const noEmail = JSON.stringify({
        event: 'invitee.created',
        payload: { uri: 'https://api.calendly.com/x/invitees/Y', scheduled_event: { start_time: 'soon' } },
      });
      const bad = await post(ws.a.id, noEmail, KEY_A);
      assert.equal(bad.status, 400, JSON.stringify(bad.body));
      const fields = (bad.body.errors ?? []).map((e) => e.field).sort();
      assert.deepEqual(fields, ['body.payload.email', 'body.payload.scheduled_event.start_time']);
      const other = await post(
        ws.a.id,
        JSON.stringify({ event: 'routing_form_submission.created', payload: {} }),
        KEY_A,
      );
      assert.equal(other.status, 400);
      assert.ok((other.body.errors ?? []).some((e) => e.field === 'body.event'));
    });
  });
}

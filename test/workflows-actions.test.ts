import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { signWebhook, verifyWebhook } from '../src/ingest/index.ts';
import {
  createEmailSender,
  createSafeHttp,
  egressRefusal,
  isPrivateAddress,
  type OutboundError,
  sendChatMessage,
  sendSignedWebhook,
  upsertHubspotRecord,
  upsertSalesforceRecord,
} from '../src/workflows/index.ts';
import { signatureOf } from './support/http.ts';
import { type HttpSink, mailHeader, type SmtpSink, startHttpSink, startSmtpSink } from './support/sinks.ts';

const LOCAL = { allow: ['127.0.0.1'] };
const NONE = { allow: [] };

describe('egress guard', () => {
  it('classifies private, loopback, link-local and mapped addresses as private', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '100.64.0.1',
      '0.0.0.0',
    ])
      assert.equal(isPrivateAddress(address), true, address);
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '93.184.216.34'])
      assert.equal(isPrivateAddress(address), false, address);
  });

  it('lets an allow-list entry (host, address or CIDR) through and nothing else', () => {
    assert.match(egressRefusal(NONE, 'metadata', '169.254.169.254') ?? '', /private, loopback or link-local/);
    assert.equal(egressRefusal({ allow: ['crm.internal'] }, 'crm.internal', '10.0.0.5'), null);
    assert.equal(egressRefusal({ allow: ['*.corp.example'] }, 'a.corp.example', '10.0.0.5'), null);
    assert.equal(egressRefusal({ allow: ['10.0.0.0/8'] }, 'x', '10.9.9.9'), null);
    assert.notEqual(egressRefusal({ allow: ['10.0.0.0/8'] }, 'x', '192.168.0.1'), null);
    assert.equal(egressRefusal(NONE, 'example.com', '93.184.216.34'), null);
  });
});

describe('safe HTTP client', () => {
  let sink: HttpSink;
  before(async () => {
    sink = await startHttpSink((request, res) => {
      if (request.url === '/redirect-loopback') {
        res.writeHead(302, { location: `http://metadata.internal:${sink.port}/landed` });
        return res.end();
      }
      if (request.url === '/big') {
        res.writeHead(200);
        return res.end('x'.repeat(5000));
      }
      if (request.url === '/slow') return setTimeout(() => res.end('late'), 500);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, url: request.url }));
    });
  });
  after(() => sink.close());

  it('refuses loopback by default, before any byte is sent', async () => {
    const http = createSafeHttp();
    const before = sink.requests.length;
    await assert.rejects(http.send(NONE, { method: 'GET', url: `${sink.url}/x` }), (e: OutboundError) => {
      assert.equal(e.retryable, false);
      return /private, loopback or link-local/.test(e.message);
    });
    assert.equal(sink.requests.length, before);
  });

  it('checks names after DNS resolution (localhost resolves to loopback)', async () => {
    const http = createSafeHttp();
    await assert.rejects(
      http.send(NONE, { method: 'GET', url: `http://localhost:${sink.port}/x` }),
      /resolves to (127\.0\.0\.1|::1)/,
    );
  });

  it('pins the checked address: a name that resolves to a public address first and loopback later still connects to the checked one only', async () => {
    let calls = 0;
    const http = createSafeHttp({
      lookup: (_host, _opts, cb) => {
        calls++;
        cb(null, [{ address: '127.0.0.1', family: 4 }]);
      },
    });
    await assert.rejects(
      http.send(NONE, { method: 'GET', url: `http://rebind.example:${sink.port}/x` }),
      /rebind\.example resolves to 127\.0\.0\.1/,
    );
    assert.equal(calls, 1);
  });

  it('re-checks every redirect hop: an allowed address redirecting to a refused one fails', async () => {
    // The first hop is a literal allow-listed address; the redirect names a host resolving to 169.254.169.254.
    const http = createSafeHttp({
      lookup: (_host, _opts, cb) => cb(null, [{ address: '169.254.169.254', family: 4 }]),
    });
    const before = sink.requests.length;
    await assert.rejects(
      http.send(LOCAL, { method: 'GET', url: `${sink.url}/redirect-loopback` }),
      /metadata\.internal resolves to 169\.254\.169\.254/,
    );
    assert.equal(sink.requests.length, before + 1, 'only the first hop reached a server');
  });

  it('reaches an allow-listed sink, cuts large bodies and times out slow ones', async () => {
    const http = createSafeHttp({ maxResponseBytes: 1000, timeoutMs: 200 });
    const ok = await http.send(LOCAL, { method: 'POST', url: `${sink.url}/hello`, body: '{}' });
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body), { ok: true, url: '/hello' });
    const big = await http.send(LOCAL, { method: 'GET', url: `${sink.url}/big` });
    assert.equal(big.body.length, 1000);
    assert.equal(big.truncated, true);
    await assert.rejects(
      http.send(LOCAL, { method: 'GET', url: `${sink.url}/slow` }),
      (e: OutboundError) => e.retryable && /within 200 ms/.test(e.message),
    );
  });

  it('refuses other schemes and credentials in the URL', async () => {
    const http = createSafeHttp();
    await assert.rejects(
      http.send(LOCAL, { method: 'GET', url: 'file:///etc/passwd' }),
      /file: URLs are not allowed/,
    );
    await assert.rejects(
      http.send(LOCAL, { method: 'GET', url: `http://u:p@127.0.0.1:${sink.port}/` }),
      /credentials in the URL/,
    );
  });
});

describe('connectors against local servers that check the documented shapes', () => {
  let sink: HttpSink;
  const http = createSafeHttp();
  const hubspotWrites: { object: string; id: string }[] = [];
  const salesforceWrites: string[] = [];
  before(async () => {
    sink = await startHttpSink((request, res) => {
      const body = request.body ? JSON.parse(request.body) : null;
      const hubspot = /^\/crm\/v3\/objects\/(contacts|companies|deals)\/batch\/upsert$/.exec(request.url);
      if (hubspot) {
        const input = body?.inputs?.[0];
        const key = hubspot[1] === 'contacts' ? 'email' : 'leadloop_key';
        const valid =
          request.method === 'POST' &&
          request.headers.authorization === 'Bearer hs-token' &&
          Array.isArray(body.inputs) &&
          input.idProperty === key &&
          typeof input.id === 'string' &&
          input.properties[key] === input.id;
        if (valid) hubspotWrites.push({ object: hubspot[1] as string, id: input.id });
        res.writeHead(valid ? 200 : 400, { 'content-type': 'application/json' });
        return res.end(
          JSON.stringify(
            valid
              ? { status: 'COMPLETE', results: [{ id: '101', new: true, properties: input.properties }] }
              : { message: 'bad shape' },
          ),
        );
      }
      const sf =
        /^\/services\/data\/v61\.0\/sobjects\/(Lead|Contact|Opportunity)\/(Email|Leadloop_Key__c)\/(.+)$/.exec(
          request.url,
        );
      if (sf) {
        const [, sobject, field] = sf;
        const required: Record<string, string[]> = {
          Lead: ['LastName', 'Company'],
          Contact: ['LastName'],
          Opportunity: ['Name', 'StageName', 'CloseDate'],
        };
        const valid =
          request.method === 'PATCH' &&
          request.headers.authorization === 'Bearer sf-token' &&
          !((field as string) in body) &&
          (field === 'Email') === (sobject !== 'Opportunity') &&
          (required[sobject as string] ?? []).every((name) => typeof body[name] === 'string');
        if (valid) salesforceWrites.push(`${sobject}/${decodeURIComponent(sf[3] as string)}`);
        res.writeHead(valid ? 201 : 400, { 'content-type': 'application/json' });
        return res.end(
          JSON.stringify(
            valid
              ? { id: '00Q000000000001', success: true, errors: [], created: true }
              : [{ errorCode: 'INVALID' }],
          ),
        );
      }
      if (request.url === '/slack') {
        const valid = typeof body?.text === 'string';
        res.writeHead(valid ? 200 : 400);
        return res.end(valid ? 'ok' : 'invalid_payload');
      }
      if (request.url === '/teams') {
        const card = body?.attachments?.[0];
        const valid =
          body?.type === 'message' &&
          card?.contentType === 'application/vnd.microsoft.card.adaptive' &&
          card.content.type === 'AdaptiveCard';
        res.writeHead(valid ? 200 : 400);
        return res.end(valid ? '1' : 'bad');
      }
      if (request.url === '/flaky') {
        res.writeHead(503);
        return res.end('busy');
      }
      res.writeHead(204);
      res.end();
    });
  });
  after(() => sink.close());
  const deps = () => ({ http, policy: LOCAL });

  it('signs outgoing webhooks so that Leadloop’s own verifier accepts them, with the idempotency key as webhook-id', async () => {
    const secret = `whsec_${Buffer.from('a-32-byte-secret-for-the-tests!!').toString('base64')}`;
    const now = Date.now();
    await sendSignedWebhook(
      { ...deps(), sign: signWebhook, nowMs: now },
      { url: `${sink.url}/hook`, secret, idempotencyKey: 'run_1:notify', payload: { leadId: 'lead_1' } },
    );
    const received = sink.requests.at(-1);
    assert.ok(received);
    const verified = verifyWebhook(signatureOf(received), received.body, [secret], now);
    assert.equal(verified.ok, true);
    assert.equal(received.headers['webhook-id'], 'run_1:notify');
    const tampered = verifyWebhook(
      { ...signatureOf(received), id: 'run_1:notify' },
      `${received.body} `,
      [secret],
      now,
    );
    assert.equal(tampered.ok, false);
  });

  it('upserts a HubSpot contact by email and a Salesforce Lead by external id', async () => {
    const hs = await upsertHubspotRecord(deps(), {
      baseUrl: sink.url,
      token: 'hs-token',
      object: 'contact',
      idempotencyKey: 'run_1:crm',
      record: { email: 'ann@example.com', properties: { firstname: 'Ann' } },
    });
    assert.deepEqual(hs.summary, { crm: 'hubspot', object: 'contact', id: '101', created: true });
    const sf = await upsertSalesforceRecord(deps(), {
      instanceUrl: sink.url,
      token: 'sf-token',
      object: 'lead',
      idempotencyKey: 'run_1:crm',
      record: { email: 'ann@example.com', properties: { LastName: 'Lee', Company: 'Acme' } },
    });
    assert.deepEqual(sf.summary, { crm: 'salesforce', object: 'lead', id: '00Q000000000001', created: true });
    await assert.rejects(
      upsertSalesforceRecord(deps(), {
        instanceUrl: sink.url,
        token: 'sf-token',
        object: 'lead',
        idempotencyKey: 'run_1:crm',
        record: { email: 'ann@example.com', properties: { LastName: 'Lee' } },
      }),
      (e: OutboundError) => !e.retryable && /Salesforce answered 400/.test(e.message),
    );
  });

  it('writes a HubSpot deal and a Salesforce Opportunity as those objects, keyed by the step so a retry updates the same one', async () => {
    hubspotWrites.length = 0;
    salesforceWrites.length = 0;
    const record = {
      email: 'ann@example.com',
      properties: { dealname: 'Acme', Name: 'Acme', StageName: 'New', CloseDate: '2027-01-31' },
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      const hs = await upsertHubspotRecord(deps(), {
        baseUrl: sink.url,
        token: 'hs-token',
        object: 'deal',
        idempotencyKey: 'run_2:deal',
        record,
      });
      assert.equal(hs.summary.object, 'deal');
      await upsertSalesforceRecord(deps(), {
        instanceUrl: sink.url,
        token: 'sf-token',
        object: 'deal',
        idempotencyKey: 'run_2:deal',
        record,
      });
    }
    // Both attempts name the same record (the sink would create it once); neither wrote a contact.
    assert.deepEqual(hubspotWrites, [
      { object: 'deals', id: 'run_2:deal' },
      { object: 'deals', id: 'run_2:deal' },
    ]);
    assert.deepEqual(salesforceWrites, ['Opportunity/run_2:deal', 'Opportunity/run_2:deal']);
  });

  it('posts Slack and Teams incoming-webhook shapes; a 503 is retryable', async () => {
    await sendChatMessage(deps(), { channel: 'slack', webhookUrl: `${sink.url}/slack`, text: 'New lead' });
    await sendChatMessage(deps(), { channel: 'teams', webhookUrl: `${sink.url}/teams`, text: 'New lead' });
    await assert.rejects(
      sendChatMessage(deps(), { channel: 'slack', webhookUrl: `${sink.url}/flaky`, text: 'x' }),
      (e: OutboundError) => e.retryable,
    );
  });
});

describe('e-mail through SMTP', () => {
  let smtp: SmtpSink;
  before(async () => {
    smtp = await startSmtpSink();
  });
  after(() => smtp.close());

  it('delivers commercial e-mail with unsubscribe link, postal address, List-Unsubscribe headers and a Message-ID from the idempotency key', async () => {
    const sender = createEmailSender(
      nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true }),
    );
    const sent = await sender.send(
      { from: 'Acme <hello@acme.example>', postalAddress: 'Acme Inc., 1 Main St, Springfield, USA' },
      {
        to: 'ann@example.com',
        subject: 'Hi {{lead.name}}',
        text: 'Hello {{lead.name}} from {{lead.company}}',
        html: '<p>Hello {{lead.name}}</p>',
        commercial: true,
        unsubscribeUrl: 'https://acme.example/u/tok',
        idempotencyKey: 'run_1:welcome',
      },
      { lead: { name: '<Ann>', company: 'Initech' } },
    );
    assert.deepEqual(sent.accepted, ['ann@example.com']);
    const mail = smtp.messages.at(-1);
    assert.ok(mail);
    assert.deepEqual(mail.to, ['ann@example.com']);
    assert.equal(mailHeader(mail.raw, 'Subject'), 'Hi <Ann>');
    assert.equal(mailHeader(mail.raw, 'List-Unsubscribe'), '<https://acme.example/u/tok>');
    assert.equal(mailHeader(mail.raw, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
    assert.equal(mailHeader(mail.raw, 'Message-ID'), '<run_1.welcome@acme.example>');
    assert.match(mail.raw, /Hello <Ann> from Initech/);
    assert.match(mail.raw, /&lt;Ann&gt;/, 'html escapes values');
    assert.match(mail.raw, /Acme Inc\., 1 Main St/);
    assert.match(mail.raw, /Unsubscribe: https:\/\/acme\.example\/u\/tok/);
  });

  it('refuses commercial e-mail without an unsubscribe link or postal address, and templates cannot run code', async () => {
    const sender = createEmailSender(
      nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true }),
    );
    const message = { to: 'a@example.com', subject: 's', text: 't', commercial: true, idempotencyKey: 'k' };
    await assert.rejects(
      sender.send({ from: 'a@acme.example', postalAddress: 'Acme, 1 Main St, Springfield' }, message, {}),
      /unsubscribe link/,
    );
    await assert.rejects(
      sender.send(
        { from: 'a@acme.example', postalAddress: ' ' },
        { ...message, unsubscribeUrl: 'https://u' },
        {},
      ),
      /postal address/,
    );
    const count = smtp.messages.length;
    await sender.send(
      { from: 'a@acme.example', postalAddress: 'x' },
      {
        to: 'a@example.com',
        subject: '{{constructor.constructor}}',
        text: '{{#lead}}{{toString}}{{/lead}}',
        commercial: false,
        idempotencyKey: 'k2',
      },
      { lead: {} },
    );
    assert.equal(smtp.messages.length, count + 1);
  });
});

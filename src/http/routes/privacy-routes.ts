import { z } from 'zod';
import {
  CONSENT_METHODS,
  type ConsentEntry,
  type ConsentState,
  preferenceActionSchema,
  purposeSchema,
  retentionPolicySchema,
} from '../../privacy/index.ts';
import type { HttpDeps } from '../deps.ts';
import { actorOf, type DeclareRoute, workspaceOf } from '../route.ts';
import { idParam, iso, isoOrNull } from '../schemas.ts';
import { requestJson, requestSchema } from './privacy-request-routes.ts';

const leadParams = z.object({
  id: idParam('lead'),
});

const purposeStateSchema = z.object({
  purpose: z.string(),
  allowed: z.boolean(),
  basis: z.string(),
  since: z.iso.datetime().nullable(),
  method: z.string().nullable(),
  noticeVersion: z.string().nullable(),
});
const consentStateSchema = z.object({
  leadId: z.string(),
  purposes: z.record(z.string(), purposeStateSchema),
  restricted: z.boolean(),
  saleOrShareOptOut: z.boolean(),
  gpc: z.boolean(),
  profilingAllowed: z.boolean(),
});
const consentEntrySchema = z.object({
  id: z.string(),
  purpose: z.string(),
  action: z.enum(['grant', 'withdraw']),
  noticeVersion: z.string().nullable(),
  noticeHash: z.string().nullable(),
  method: z.string(),
  source: z.string(),
  gpc: z.boolean(),
  evidence: z.string().nullable(),
  occurredAt: z.iso.datetime(),
  recordedAt: z.iso.datetime(),
});

function stateJson(state: ConsentState) {
  return {
    ...state,
    purposes: Object.fromEntries(
      Object.entries(state.purposes).map(([k, p]) => [k, { ...p, since: isoOrNull(p.since) }]),
    ),
  };
}
const entryJson = (e: ConsentEntry) => {
  const { leadId: _lead, ...rest } = e;
  return { ...rest, occurredAt: iso(e.occurredAt), recordedAt: iso(e.recordedAt) };
};

const consentBody = z
  .object({
    entries: z
      .array(
        z
          .object({
            purpose: purposeSchema,
            action: z.enum(['grant', 'withdraw']),
            noticeVersion: z.string().trim().min(1).max(64).optional(),
            noticeText: z.string().min(1).max(20_000).optional().describe('Only its sha256 is kept.'),
            method: z.enum(CONSENT_METHODS).default('api'),
            source: z.string().trim().min(1).max(100).default('api'),
            occurredAt: z.iso.datetime({ offset: true }).optional().describe('Default: now.'),
          })
          .strict(),
      )
      .min(1)
      .max(20),
  })
  .strict();

const retentionSchema = z.object({
  policy: retentionPolicySchema,
  version: z.number().int(),
  isDefault: z.boolean(),
  lastRunAt: z.iso.datetime().nullable(),
  lastReport: z.record(z.string(), z.unknown()).nullable(),
});

export function registerPrivacyRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const { privacy, clock } = deps;

  route({
    method: 'GET',
    url: '/v1/leads/:id/consents',
    operationId: 'getLeadConsents',
    summary: 'A lead’s consent: current state per purpose (derived) and the append-only history',
    tag: 'Privacy',
    auth: 'read',
    params: leadParams,
    responses: {
      200: {
        description: 'State and history',
        schema: z.object({ state: consentStateSchema, history: z.array(consentEntrySchema) }),
      },
    },
    async handler({ principal, params }) {
      const { state, history } = await privacy.consentsOf(workspaceOf(principal), params.id);
      return { state: stateJson(state), history: history.map(entryJson) };
    },
  });

  route({
    method: 'POST',
    url: '/v1/leads/:id/consents',
    operationId: 'recordLeadConsents',
    summary: 'Record grants or withdrawals (appended to the ledger; effective at once)',
    description: 'A `Sec-GPC: 1` header adds an opt-out of sale/share.',
    tag: 'Privacy',
    auth: 'ingest',
    params: leadParams,
    body: consentBody,
    status: 201,
    responses: {
      201: {
        description: 'Recorded; the new state',
        schema: z.object({ state: consentStateSchema, recorded: z.array(consentEntrySchema) }),
      },
    },
    async handler({ principal, params, body, request }) {
      const now = clock.now();
      const entries = body.entries.map((e) => ({
        purpose: e.purpose,
        action: e.action,
        noticeVersion: e.noticeVersion ?? null,
        noticeText: e.noticeText ?? null,
        method: e.method,
        source: e.source,
        gpc: false,
        occurredAt: e.occurredAt ? Date.parse(e.occurredAt) : now,
      }));
      if (request.headers['sec-gpc'] === '1')
        entries.push({
          purpose: 'sale_or_share',
          action: 'withdraw',
          noticeVersion: null,
          noticeText: null,
          method: 'gpc',
          source: 'api',
          gpc: true,
          occurredAt: now,
        });
      const result = await privacy.recordConsent(
        workspaceOf(principal),
        params.id,
        entries,
        actorOf(principal),
      );
      return { state: stateJson(result.state), recorded: result.recorded.map(entryJson) };
    },
  });

  route({
    method: 'DELETE',
    url: '/v1/leads/:id',
    operationId: 'eraseLead',
    summary: 'Erase a lead and everyone it is (same email or phone): files and runs an erasure request',
    tag: 'Privacy',
    auth: 'admin',
    params: leadParams,
    responses: { 200: { description: 'The completed erasure request', schema: requestSchema } },
    async handler({ principal, params }) {
      const request = await privacy.requests.submit(
        workspaceOf(principal),
        { type: 'erasure', subject: { leadId: params.id }, jurisdiction: 'gdpr' },
        { actor: actorOf(principal), origin: 'delete_route' },
      );
      return requestJson(request);
    },
  });

  route({
    method: 'GET',
    url: '/v1/privacy/retention',
    operationId: 'getRetention',
    summary: 'The workspace’s retention policy and its last sweep',
    tag: 'Privacy',
    auth: 'admin',
    responses: { 200: { description: 'Policy and last report', schema: retentionSchema } },
    async handler({ principal }) {
      const current = await privacy.retentionPolicy(workspaceOf(principal));
      return {
        ...current,
        lastRunAt: isoOrNull(current.lastRunAt),
        lastReport: current.lastReport as Record<string, unknown> | null,
      };
    },
  });

  route({
    method: 'PUT',
    url: '/v1/privacy/retention',
    operationId: 'putRetention',
    summary: 'Set the retention policy (days per category; null keeps); the sweep runs now and then daily',
    tag: 'Privacy',
    auth: 'admin',
    body: retentionPolicySchema,
    responses: { 200: { description: 'The new version', schema: z.object({ version: z.number().int() }) } },
    async handler({ principal, body }) {
      const version = await privacy.setRetention(workspaceOf(principal), body, actorOf(principal));
      return { version };
    },
  });

  route({
    method: 'POST',
    url: '/v1/leads/:id/preference-link',
    operationId: 'createPreferenceLink',
    summary: 'A signed, expiring link to the lead’s preference page (to put in messages)',
    tag: 'Privacy',
    auth: 'admin',
    params: leadParams,
    body: z
      .object({ ttlDays: z.number().int().min(1).max(90).default(30) })
      .strict()
      .optional(),
    status: 201,
    responses: {
      201: {
        description: 'The link',
        schema: z.object({ path: z.string(), token: z.string(), expiresAt: z.iso.datetime() }),
      },
    },
    async handler({ principal, params, body }) {
      const link = await privacy.preferenceLink(workspaceOf(principal), params.id, body?.ttlDays ?? 30);
      return { path: `/p/${link.token}`, token: link.token, expiresAt: iso(link.expiresAt) };
    },
  });

  route({
    method: 'GET',
    url: '/p/:token',
    operationId: 'preferencePage',
    summary: 'The person’s preference page (public; the signed link is the credential)',
    tag: 'Privacy',
    auth: 'public',
    params: z.object({ token: z.string().min(1).max(600) }),
    responses: {
      200: { description: 'HTML page', contentType: 'text/html' },
      400: { description: 'Invalid link (HTML)', contentType: 'text/html' },
      410: { description: 'Expired link (HTML)', contentType: 'text/html' },
    },
    async handler({ params, request, reply }) {
      const page = await privacy.preferencePage(params.token, request.headers['sec-gpc'] === '1');
      reply
        .status(page.status)
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('x-frame-options', 'DENY');
      return page.html;
    },
  });

  route({
    method: 'POST',
    url: '/p/:token',
    operationId: 'preferenceAction',
    summary: 'From the preference page: grant or withdraw a purpose, or ask for access or erasure',
    tag: 'Privacy',
    auth: 'public',
    params: z.object({ token: z.string().min(1).max(600) }),
    body: preferenceActionSchema,
    responses: { 200: { description: 'Done', schema: z.record(z.string(), z.unknown()) } },
    async handler({ params, body, reply }) {
      reply.header('cache-control', 'no-store');
      return privacy.preferenceAction(params.token, body);
    },
  });

  route({
    method: 'GET',
    url: '/p/:token/export/:requestId',
    operationId: 'preferenceExport',
    summary:
      'The copy of their data a person asked for on the preference page (public; the signed link is the credential)',
    tag: 'Privacy',
    auth: 'public',
    params: z.object({
      token: z.string().min(1).max(600),
      requestId: idParam('dsr'),
    }),
    responses: {
      200: { description: 'The export bundle (JSON)', schema: z.record(z.string(), z.unknown()) },
    },
    async handler({ params, reply }) {
      const bundle = await privacy.preferenceExport(params.token, params.requestId);
      reply
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="my-data-${params.requestId}.json"`);
      return bundle as unknown as Record<string, unknown>;
    },
  });

  route({
    method: 'GET',
    url: '/.well-known/gpc.json',
    operationId: 'gpcSupport',
    summary: 'Global Privacy Control support resource',
    tag: 'Privacy',
    auth: 'public',
    responses: {
      200: { description: 'GPC honoured', schema: z.object({ gpc: z.boolean(), lastUpdate: z.string() }) },
    },
    async handler() {
      return { gpc: true, lastUpdate: '2026-12-06' };
    },
  });
}

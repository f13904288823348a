import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { LeadloopError } from '../../core/index.ts';
import type { HttpDeps } from '../deps.ts';
import type { DeclareRoute } from '../route.ts';
import { workflowsOf } from './workflow-route-schemas.ts';

const tag = 'workflows';
const params = z.object({
  workspaceId: z.string().regex(/^ws_[0-9A-Z]{26}$/),
  leadId: z.string().regex(/^lead_[0-9A-Z]{26}$/),
});

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1d2733}
h1{font-size:1.5rem}button{font:inherit;padding:.5rem 1.2rem;border-radius:.4rem;border:1px solid #1d2733;background:#1d2733;color:#fff;cursor:pointer}`;

/** A small page for the person who clicked the link (no personal data: the link alone is shown it). */
function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"><meta name="robots" content="noindex"><title>${title}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

function sendPage(reply: FastifyReply, status: number, html: string): string {
  reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY');
  return html;
}

const CONFIRM = page(
  'Unsubscribe',
  `<h1>Unsubscribe from our marketing e-mail?</h1>
<p>You will get no more marketing e-mail at this address. Messages you asked for (a reply to your enquiry, say) are not affected.</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
);
const DONE = page(
  'Unsubscribed',
  '<h1>You are unsubscribed</h1><p id="done">You will get no more marketing e-mail at this address. It took effect at once.</p>',
);
const INVALID = page(
  'Link not valid',
  '<h1>This link can’t be used</h1><p id="problem">This unsubscribe link is not valid. Please open the full link from the e-mail we sent you.</p>',
);

/**
 * The link in every commercial e-mail's footer and `List-Unsubscribe` header. RFC 8058: the
 * mailbox provider's one-click POST unsubscribes; a GET never does, because mail scanners and link
 * previews fetch links nobody clicked, so it shows a page whose button sends that same POST.
 */
export function registerUnsubscribeRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const wf = () => workflowsOf(deps);

  route({
    method: 'GET',
    url: '/v1/unsubscribe/:workspaceId/:leadId',
    operationId: 'unsubscribePage',
    summary: 'The unsubscribe link opened in a browser: a page that confirms before unsubscribing',
    description:
      'Side-effect free (RFC 8058 §3: scanners prefetch links); its button sends the one-click POST. A bad token gets a plain page (400) that says nothing about the person.',
    tag,
    auth: 'webhook',
    params,
    query: z.object({ t: z.string().max(200).optional() }),
    responses: {
      200: { description: 'Confirmation page (HTML)', contentType: 'text/html' },
      400: { description: 'The link is not valid (HTML)', contentType: 'text/html' },
    },
    async handler({ params: path, query, reply }) {
      const valid = query.t !== undefined && wf().verifyUnsubscribe(path.workspaceId, path.leadId, query.t);
      return sendPage(reply, valid ? 200 : 400, valid ? CONFIRM : INVALID);
    },
  });

  route({
    method: 'POST',
    url: '/v1/unsubscribe/:workspaceId/:leadId',
    operationId: 'unsubscribe',
    summary: 'One-click unsubscribe (RFC 8058) from workflow e-mail',
    description:
      'The mailbox provider’s form POST (or the confirmation page’s button); the token proves the recipient got the e-mail. Marketing steps skip the lead afterwards. A browser (Accept: text/html) gets a page saying it is done instead of JSON.',
    tag,
    auth: 'webhook',
    params,
    query: z.object({ t: z.string().min(10).max(100) }),
    rawBody: true,
    responses: { 200: { description: 'Unsubscribed', schema: z.object({ unsubscribed: z.boolean() }) } },
    async handler({ params: path, query, request, reply }) {
      const w = wf();
      if (!w.verifyUnsubscribe(path.workspaceId, path.leadId, query.t))
        throw new LeadloopError('forbidden', 'the unsubscribe link is not valid', {
          issues: [{ field: 'query.t', reason: 'does not match this lead' }],
        });
      await w.unsubscribe(path.workspaceId, path.leadId);
      if ((request.headers.accept ?? '').includes('text/html')) return sendPage(reply, 200, DONE);
      return { unsubscribed: true };
    },
  });
}

import { z } from 'zod';
import { LeadloopError } from '../../core/index.ts';
import {
  type TemplateSummary,
  type TemplateVersion,
  templateContentSchema,
  templateInputSchema,
} from '../../workflows/index.ts';
import type { HttpDeps } from '../deps.ts';
import { actorOf, type DeclareRoute, workspaceOf } from '../route.ts';
import { idParam, iso } from '../schemas.ts';
import { workflowsOf } from './workflow-route-schemas.ts';

const templateId = idParam('tpl');
const summarySchema = z.object({
  id: z.string(),
  name: z.string(),
  channel: z.enum(['email', 'sms']),
  latestVersion: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
const versionSchema = z.object({
  version: z.number().int(),
  content: templateContentSchema,
  createdBy: z.string(),
  createdAt: z.iso.datetime(),
});

/**
 * Versioned e-mail and SMS templates per workspace, referenced by workflow steps by id
 * (`template`, optional `templateVersion`). Content is logic-less Mustache; a version never changes
 * once published, and a run uses the version current when it started unless the step pins one.
 */
export function registerTemplateRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const { clock } = deps;
  const tag = 'workflows';
  const wf = () => workflowsOf(deps);
  const present = (s: TemplateSummary) => ({
    ...s,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
  });
  const presentVersion = (v: TemplateVersion) => ({
    version: v.version,
    content: v.content,
    createdBy: v.createdBy,
    createdAt: iso(v.createdAt),
  });

  route({
    method: 'POST',
    url: '/v1/templates',
    operationId: 'createTemplate',
    summary: 'Create an e-mail or SMS template (version 1)',
    description:
      'Content is logic-less Mustache (`{{lead.name}}`): no code runs in a template. An e-mail template needs a subject and text or html; an SMS template needs text.',
    tag,
    auth: 'admin',
    body: templateInputSchema,
    status: 201,
    responses: {
      201: { description: 'Created', schema: summarySchema.extend({ version: versionSchema }) },
    },
    handler: async ({ principal, body }) => {
      const ws = workspaceOf(principal);
      const actor = actorOf(principal);
      const created = await wf().transaction(async (trx) => {
        const made = await wf().templates.create(trx, ws, body, `${actor.type}:${actor.id}`, clock.now());
        await deps.audit.append(trx, ws.workspaceId, {
          actor,
          action: 'template.created',
          subject: made.id,
          reason: `${body.channel} template "${body.name}" v1`,
        });
        return made;
      });
      return { ...present(created), version: presentVersion(created.version) };
    },
  });

  route({
    method: 'GET',
    url: '/v1/templates',
    operationId: 'listTemplates',
    summary: "The workspace's templates",
    tag,
    auth: 'read',
    responses: { 200: { description: 'Templates', schema: z.object({ items: z.array(summarySchema) }) } },
    handler: async ({ principal }) => ({
      items: (await wf().read((db) => wf().templates.list(db, workspaceOf(principal)))).map(present),
    }),
  });

  route({
    method: 'GET',
    url: '/v1/templates/:id',
    operationId: 'getTemplate',
    summary: 'A template with all its versions',
    tag,
    auth: 'read',
    params: z.object({ id: templateId }),
    responses: {
      200: { description: 'Template', schema: summarySchema.extend({ versions: z.array(versionSchema) }) },
    },
    handler: async ({ principal, params }) => {
      const ws = workspaceOf(principal);
      const found = await wf().read(async (db) => {
        const head = await wf().templates.get(db, ws, params.id);
        return head ? { head, versions: await wf().templates.versions(db, ws, params.id) } : null;
      });
      if (!found)
        throw new LeadloopError('not_found', `template ${params.id} not found in this workspace`, {
          issues: [{ field: 'path.id', reason: 'no such template' }],
        });
      return { ...present(found.head), versions: found.versions.map(presentVersion) };
    },
  });

  route({
    method: 'POST',
    url: '/v1/templates/:id/versions',
    operationId: 'createTemplateVersion',
    summary: 'Publish a new version of a template',
    description: 'Earlier versions stay unchanged; runs already started keep the version they started with.',
    tag,
    auth: 'admin',
    params: z.object({ id: templateId }),
    body: z.object({ content: templateContentSchema }).strict(),
    status: 201,
    responses: { 201: { description: 'Published', schema: versionSchema } },
    handler: async ({ principal, params, body }) => {
      const ws = workspaceOf(principal);
      const actor = actorOf(principal);
      const published = await wf().transaction(async (trx) => {
        const v = await wf().templates.addVersion(
          trx,
          ws,
          params.id,
          body.content,
          `${actor.type}:${actor.id}`,
          clock.now(),
        );
        await deps.audit.append(trx, ws.workspaceId, {
          actor,
          action: 'template.version_published',
          subject: params.id,
          reason: `template ${params.id} v${v.version}`,
        });
        return v;
      });
      return presentVersion(published);
    },
  });
}

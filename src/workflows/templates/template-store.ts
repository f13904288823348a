import { z } from 'zod';
import { type IdGenerator, LeadloopError } from '../../core/index.ts';
import type { Db } from '../../store/index.ts';
import { fromJson, workspaceRow, workspaceRows } from '../../store/index.ts';
import type { WorkspaceRef } from '../ports.ts';

/** A template version's content: logic-less Mustache strings (no code runs in a template). */
export const templateContentSchema = z
  .object({
    subject: z.string().max(1000).optional().describe('E-mail subject'),
    text: z.string().max(20_000).optional().describe('Plain text (the SMS body, or the e-mail text part)'),
    html: z.string().max(100_000).optional().describe('E-mail HTML part'),
  })
  .strict();
type TemplateContent = z.infer<typeof templateContentSchema>;

export const templateInputSchema = z
  .object({
    name: z.string().min(1).max(200),
    channel: z.enum(['email', 'sms']),
    content: templateContentSchema,
  })
  .strict();

export interface TemplateSummary {
  id: string;
  name: string;
  channel: 'email' | 'sms';
  latestVersion: number;
  createdAt: number;
  updatedAt: number;
}

export interface TemplateVersion {
  templateId: string;
  version: number;
  content: TemplateContent;
  createdBy: string;
  createdAt: number;
}

export interface TemplateStore {
  create(
    db: Db,
    ctx: WorkspaceRef,
    input: z.infer<typeof templateInputSchema>,
    by: string,
    now: number,
  ): Promise<TemplateSummary & { version: TemplateVersion }>;
  /** A new version; earlier versions stay as they were. */
  addVersion(
    db: Db,
    ctx: WorkspaceRef,
    id: string,
    content: TemplateContent,
    by: string,
    now: number,
  ): Promise<TemplateVersion>;
  list(db: Db, ctx: WorkspaceRef): Promise<TemplateSummary[]>;
  get(db: Db, ctx: WorkspaceRef, id: string): Promise<TemplateSummary | null>;
  versions(db: Db, ctx: WorkspaceRef, id: string): Promise<TemplateVersion[]>;
  /**
   * The version a run uses: `version` when given, else the newest created at or before `asOf` (the
   * run's start), so a run keeps the wording it started with when a new version is published.
   */
  resolve(
    db: Db,
    ctx: WorkspaceRef,
    id: string,
    pin: { version?: number; asOf: number },
  ): Promise<(TemplateVersion & { channel: 'email' | 'sms' }) | null>;
}

type Row = {
  id: string;
  name: string;
  channel: string;
  latest_version: number;
  created_at: number;
  updated_at: number;
};
const summary = (r: Row): TemplateSummary => ({
  id: r.id,
  name: r.name,
  channel: r.channel as 'email' | 'sms',
  latestVersion: Number(r.latest_version),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});
const version = (r: {
  template_id: string;
  version: number;
  content: string;
  created_by: string;
  created_at: number;
}): TemplateVersion => ({
  templateId: r.template_id,
  version: Number(r.version),
  content: fromJson<TemplateContent>(r.content, {}),
  createdBy: r.created_by,
  createdAt: Number(r.created_at),
});

function checkContent(channel: 'email' | 'sms', content: TemplateContent): void {
  const missing =
    channel === 'sms'
      ? content.text
        ? null
        : 'an SMS template needs text'
      : content.subject && (content.text || content.html)
        ? null
        : 'an e-mail template needs a subject and text or html';
  if (missing)
    throw new LeadloopError('validation_failed', missing, {
      issues: [{ field: 'body.content', reason: missing }],
    });
}

/** Versioned message templates per workspace; every read and write names the workspace. */
export function createTemplateStore(options: { ids: IdGenerator }): TemplateStore {
  const notFound = (id: string) =>
    new LeadloopError('not_found', `template ${id} not found in this workspace`, {
      issues: [{ field: 'path.id', reason: 'no such template' }],
    });
  async function get(db: Db, ctx: WorkspaceRef, id: string) {
    const row = await workspaceRow(db, 'message_templates', ctx.workspaceId, { id });
    return row ? summary(row) : null;
  }
  async function insertVersion(
    db: Db,
    ctx: WorkspaceRef,
    id: string,
    v: number,
    content: TemplateContent,
    by: string,
    now: number,
  ): Promise<TemplateVersion> {
    await db
      .insertInto('message_template_versions')
      .values({
        workspace_id: ctx.workspaceId,
        template_id: id,
        version: v,
        content: JSON.stringify(content),
        created_by: by,
        created_at: now,
      })
      .execute();
    return { templateId: id, version: v, content, createdBy: by, createdAt: now };
  }
  return {
    async create(db, ctx, input, by, now) {
      checkContent(input.channel, input.content);
      const id = options.ids.next('tpl');
      await db
        .insertInto('message_templates')
        .values({
          id,
          workspace_id: ctx.workspaceId,
          name: input.name,
          channel: input.channel,
          latest_version: 1,
          created_at: now,
          updated_at: now,
        })
        .execute();
      const first = await insertVersion(db, ctx, id, 1, input.content, by, now);
      return {
        id,
        name: input.name,
        channel: input.channel,
        latestVersion: 1,
        createdAt: now,
        updatedAt: now,
        version: first,
      };
    },
    async addVersion(db, ctx, id, content, by, now) {
      const current = await get(db, ctx, id);
      if (!current) throw notFound(id);
      checkContent(current.channel, content);
      // The compare-and-set on latest_version makes two concurrent publishers take turns.
      const next = current.latestVersion + 1;
      const moved = await db
        .updateTable('message_templates')
        .set({ latest_version: next, updated_at: now })
        .where('workspace_id', '=', ctx.workspaceId)
        .where('id', '=', id)
        .where('latest_version', '=', current.latestVersion)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1)
        throw new LeadloopError('conflict', `template ${id} changed meanwhile; retry`, {
          issues: [{ field: 'path.id', reason: 'a new version was published at the same time' }],
        });
      return insertVersion(db, ctx, id, next, content, by, now);
    },
    async list(db, ctx) {
      const rows = await workspaceRows(db, 'message_templates', ctx.workspaceId, {}, ['created_at', 'id']);
      return rows.map(summary);
    },
    get,
    async versions(db, ctx, id) {
      const rows = await workspaceRows(
        db,
        'message_template_versions',
        ctx.workspaceId,
        { template_id: id },
        ['version'],
      );
      return rows.map(version);
    },
    async resolve(db, ctx, id, pin) {
      const head = await get(db, ctx, id);
      if (!head) return null;
      let query = db
        .selectFrom('message_template_versions')
        .selectAll()
        .where('workspace_id', '=', ctx.workspaceId)
        .where('template_id', '=', id);
      query =
        pin.version !== undefined
          ? query.where('version', '=', pin.version)
          : query.where('created_at', '<=', pin.asOf).orderBy('version', 'desc').limit(1);
      // A template created after the run started: its first version.
      const row =
        (await query.executeTakeFirst()) ??
        (pin.version === undefined
          ? await workspaceRow(db, 'message_template_versions', ctx.workspaceId, {
              template_id: id,
              version: 1,
            })
          : undefined);
      return row ? { ...version(row), channel: head.channel } : null;
    },
  };
}

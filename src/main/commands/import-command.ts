import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { inWorkspace, LeadloopError, lazyModule } from '../../core/index.ts';
import type { LeadInput } from '../../leads/index.ts';
import { createRuntime } from '../runtime.ts';
import { bool, type Command, dataDirOption, str, usageError } from './types.ts';
import { count, resolveWorkspace } from './workspace-option.ts';

// Every command's module loads with the CLI, `serve` included: the parser only with an import.
const csvParse = lazyModule<typeof import('csv-parse/sync')>('csv-parse/sync');

const FIELD_ALIASES: Record<string, keyof LeadInput | `utm.${string}` | 'firstName' | 'lastName'> = {
  email: 'email',
  emailaddress: 'email',
  mail: 'email',
  name: 'name',
  fullname: 'name',
  firstname: 'firstName',
  lastname: 'lastName',
  phone: 'phone',
  phonenumber: 'phone',
  mobile: 'phone',
  company: 'company',
  companyname: 'company',
  organisation: 'company',
  organization: 'company',
  title: 'title',
  jobtitle: 'title',
  role: 'title',
  country: 'country',
  countrycode: 'country',
  source: 'source',
  leadsource: 'source',
  utmsource: 'utm.source',
  utmmedium: 'utm.medium',
  utmcampaign: 'utm.campaign',
  utmterm: 'utm.term',
  utmcontent: 'utm.content',
};

/** Consent columns: the purposes given, the version of the wording or notice shown, and when. */
const CONSENT_ALIASES: Record<string, 'purposes' | 'textVersion' | 'timestamp'> = {
  consent: 'purposes',
  consentpurposes: 'purposes',
  consentversion: 'textVersion',
  consenttextversion: 'textVersion',
  noticeversion: 'textVersion',
  consentdate: 'timestamp',
  consenttimestamp: 'timestamp',
  consentgivenat: 'timestamp',
};

/**
 * The consent columns as the lead schema's `consent` object (method `import`), which the pipeline
 * records in the ledger. A yes/no column is refused: consent is to named purposes. Missing version
 * or date are left for the schema to name.
 */
function consentOf(values: Partial<Record<'purposes' | 'textVersion' | 'timestamp', string>>) {
  if (values.purposes === undefined) {
    if (values.textVersion !== undefined || values.timestamp !== undefined)
      throw new LeadloopError('validation_failed', 'consent columns without purposes', {
        issues: [
          {
            field: 'consent',
            reason: 'a consent version or date needs a consent column naming the purposes',
          },
        ],
      });
    return undefined;
  }
  const purposes = values.purposes.split(/[\s|,;]+/).filter((p) => p !== '');
  if (purposes.some((p) => /^(yes|no|true|false|y|n|1|0|x)$/i.test(p)))
    throw new LeadloopError('validation_failed', 'the consent column must name purposes', {
      issues: [
        {
          field: 'consent',
          reason: `names purposes (e.g. "email_marketing|phone"), not yes/no; got "${values.purposes.slice(0, 40)}"`,
        },
      ],
    });
  const at =
    values.timestamp === undefined
      ? undefined
      : /^\d{4}-\d{2}-\d{2}$/.test(values.timestamp)
        ? `${values.timestamp}T00:00:00Z`
        : values.timestamp;
  return {
    purposes,
    ...(values.textVersion !== undefined ? { textVersion: values.textVersion } : {}),
    ...(at !== undefined ? { timestamp: at } : {}),
    method: 'import',
  };
}

function sniffDelimiter(text: string): string {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const counts = [',', ';', '\t', '|'].map((d) => [d, firstLine.split(d).length] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]?.[0] ?? ',';
}

/** Maps a CSV row onto the lead schema: known columns by name (case, spaces and _ ignored), the rest to attributes. */
export function rowToLead(row: Record<string, string>): Record<string, unknown> {
  const lead: Record<string, unknown> = {};
  const utm: Record<string, string> = {};
  const attributes: Record<string, string | number | boolean> = {};
  const consent: Partial<Record<'purposes' | 'textVersion' | 'timestamp', string>> = {};
  let first = '';
  let last = '';
  for (const [column, raw] of Object.entries(row)) {
    const value = raw.trim();
    if (value === '') continue;
    const key = column.toLowerCase().replace(/[\s_-]/g, '');
    const field = FIELD_ALIASES[key];
    const consentPart = CONSENT_ALIASES[key];
    if (consentPart) consent[consentPart] = value;
    else if (field === 'firstName') first = value;
    else if (field === 'lastName') last = value;
    else if (field?.startsWith('utm.')) utm[field.slice(4)] = value;
    else if (field) lead[field] = value;
    else attributes[column.trim().slice(0, 100)] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  if (!lead.name && (first || last)) lead.name = `${first} ${last}`.trim();
  if (Object.keys(utm).length > 0) lead.utm = utm;
  if (Object.keys(attributes).length > 0) lead.attributes = attributes;
  const given = consentOf(consent);
  if (given) lead.consent = given;
  return lead;
}

interface Rejection {
  row: number;
  reasons: string[];
}

export const importCommand: Command = {
  summary: 'Ingest a CSV of leads through the pipeline, with progress and a summary',
  usage:
    'leadloop import <file.csv> [--workspace <id>] [--json] [--data-dir D]   (exit 1 when any row is rejected or fails; accepted rows are kept)',
  options: { ...dataDirOption, workspace: { type: 'string' }, json: { type: 'boolean' } },
  logLevel: 'warn',
  async run(context) {
    const file = context.positionals[0];
    if (!file) throw usageError(`usage: ${this.usage}`);
    const text = readFileSync(file, 'utf8');
    const records = csvParse().parse(text, {
      columns: true,
      bom: true,
      delimiter: sniffDelimiter(text),
      skip_empty_lines: true,
      relax_column_count: true,
    }) as Record<string, string>[];
    const fileHash = createHash('sha256').update(text).digest('hex').slice(0, 16);
    const runtime = await createRuntime(context.config);
    const json = bool(context, 'json');
    try {
      const { workspaceId } = await resolveWorkspace(runtime, str(context, 'workspace'));
      return await inWorkspace(workspaceId, () => importInto(workspaceId));
    } finally {
      await runtime.close();
    }

    async function importInto(workspaceId: string): Promise<number> {
      runtime.startWorkers(context.config.LEADLOOP_WORKER_CONCURRENCY);

      const bar = json
        ? null
        : new SingleBar({
            format: '  {phase} [{bar}] {value}/{total} rows  {percentage}%',
            hideCursor: true,
            stream: process.stderr,
            // Also report progress when stderr is a log file or a CI console, every half second.
            noTTYOutput: true,
            notTTYSchedule: 500,
          });
      // Two phases over different totals: rows accepted, then accepted rows processed.
      bar?.start(records.length, 0, { phase: 'accepting ' });
      const rejected: Rejection[] = [];
      const eventIds: string[] = [];
      let replayed = 0;
      const chunk = 500;
      for (let start = 0; start < records.length; start += chunk) {
        const submissions = records.slice(start, start + chunk).map(async (record, offset) => {
          const rowNumber = start + offset + 2; // header is line 1
          try {
            const outcome = await runtime.ingest.acceptParsed({
              workspaceId,
              source: 'import',
              lead: rowToLead(record),
              idempotencyKey: `${fileHash}:${rowNumber}`,
              prefix: `row ${rowNumber}`,
            });
            if (outcome.kind === 'accepted') eventIds.push(outcome.eventId);
            else replayed++;
          } catch (error) {
            if (!(error instanceof LeadloopError)) throw error;
            rejected.push({
              row: rowNumber,
              reasons: error.issues.length
                ? error.issues.map((i) => `${i.field.replace(/^row \d+\./, '')} ${i.reason}`)
                : [error.message],
            });
          }
        });
        await Promise.all(submissions);
        bar?.update(Math.min(records.length, start + chunk));
      }

      bar?.setTotal(eventIds.length);
      bar?.update(0, { phase: 'processing' });
      const statuses = new Map<string, { status: string; lead: string | null; error: string | null }>();
      for (;;) {
        const pending = eventIds.filter(
          (id) => statuses.get(id)?.status === undefined || statuses.get(id)?.status === 'accepted',
        );
        for (let i = 0; i < pending.length; i += 500) {
          const rows = await runtime.store.db
            .selectFrom('events')
            .select(['id', 'status', 'lead_id', 'error'])
            .where('workspace_id', '=', workspaceId)
            .where('id', 'in', pending.slice(i, i + 500))
            .execute();
          for (const row of rows)
            statuses.set(row.id, { status: row.status, lead: row.lead_id, error: row.error });
        }
        const done = eventIds.filter((id) => statuses.get(id)?.status !== 'accepted').length;
        bar?.update(done);
        if (done === eventIds.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      bar?.stop();

      const history = new Map<string, string>();
      for (let i = 0; i < eventIds.length; i += 500) {
        const rows = await runtime.store.db
          .selectFrom('lead_history')
          .select(['event_id', 'action'])
          .where('workspace_id', '=', workspaceId)
          .where('event_id', 'in', eventIds.slice(i, i + 500))
          .execute();
        for (const row of rows) history.set(row.event_id, row.action);
      }
      const created = eventIds.filter((id) => history.get(id) === 'created').length;
      const merged = eventIds.filter((id) => history.get(id) === 'merged').length;
      const failed = eventIds.filter((id) => statuses.get(id)?.status === 'failed');
      rejected.sort((a, b) => a.row - b.row);
      const summary = {
        file,
        workspaceId,
        rows: records.length,
        accepted: eventIds.length,
        created,
        merged,
        alreadyImported: replayed,
        failed: failed.length,
        rejected: rejected.length,
        rejections: rejected,
      };
      if (json) context.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        context.stdout.write(
          `\n${count(records.length, 'row')}: ${eventIds.length} accepted (${count(created, 'new lead')}, ${merged} merged into existing leads), ${replayed} already imported, ${rejected.length} rejected, ${failed.length} failed in processing\n`,
        );
        for (const r of rejected.slice(0, 50))
          context.stdout.write(`  row ${r.row}: ${r.reasons.join('; ')}\n`);
        if (rejected.length > 50)
          context.stdout.write(`  ... and ${rejected.length - 50} more (use --json for all)\n`);
      }
      if (!json && (rejected.length > 0 || failed.length > 0))
        context.stdout.write('exit code 1: some rows were not imported (the accepted rows are kept)\n');
      return rejected.length > 0 || failed.length > 0 ? 1 : 0;
    }
  },
};

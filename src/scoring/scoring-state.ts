import { z } from 'zod';
import { type ScoringLeadFields, toLead } from '../leads/index.ts';
import type { Db, LeadsTable } from '../store/index.ts';
import { fromJson, toJson, workspaceRow } from '../store/index.ts';

const SEGMENT_BY =
  /^(source|country|seniority|utm\.(source|medium|campaign|term|content)|attributes\.[A-Za-z0-9_.-]{1,100})$/;

/** A workspace's predictive-scoring settings. Omitted fields take their defaults. */
export const scoringSettingsSchema = z
  .object({
    valuePerConversion: z
      .number()
      .positive()
      .max(1e9)
      .nullable()
      .default(null)
      .describe('What one conversion is worth; with costPerLead it sets the qualification thresholds.'),
    costPerLead: z
      .number()
      .min(0)
      .max(1e9)
      .nullable()
      .default(null)
      .describe('What pursuing one lead costs (a call, a rep’s time).'),
    segmentBy: z
      .string()
      .regex(SEGMENT_BY, 'must be source, country, seniority, utm.<key> or attributes.<key>')
      .default('source')
      .describe('The lead field whose values are the segments of thresholds and forecasts.'),
    minimumOutcomes: z
      .number()
      .int()
      .min(50)
      .max(1_000_000)
      .default(200)
      .describe('Labelled leads needed before a model is trained.'),
    minimumConversions: z
      .number()
      .int()
      .min(10)
      .max(1_000_000)
      .default(20)
      .describe('Conversions (and as many non-conversions) needed before a model is trained.'),
    retrainEvery: z
      .number()
      .int()
      .min(10)
      .max(1_000_000)
      .default(100)
      .describe('New outcomes after which a retraining job is queued.'),
    autoRetrain: z.boolean().default(true).describe('Queue retraining jobs from outcomes automatically.'),
  })
  .strict();

export type ScoringSettings = z.infer<typeof scoringSettingsSchema>;
export type ScoringSettingsInput = z.input<typeof scoringSettingsSchema>;

const DEFAULT_SCORING_SETTINGS: ScoringSettings = scoringSettingsSchema.parse({});

/** The latest training attempt, successful or not, and why it ended as it did. */
export interface TrainingAttempt {
  status: 'trained' | 'insufficient' | 'failed';
  at: number;
  trigger: string;
  reason: string;
  version: number | null;
  labelled: number;
  conversions: number;
}

/** Continuous-learning bookkeeping between trainings. */
export interface LearningState {
  /** Outcomes recorded (or changed) since the last training attempt. */
  outcomesSinceTraining: number;
  /** Why a retraining job is queued, while one is. */
  retrainPending: string | null;
  pendingSince: number | null;
}

/** Thresholds as last computed: what the pipeline qualifies by and what changes are compared to. */
export interface StoredThresholds {
  segmentBy: string;
  valuePerConversion: number;
  costPerLead: number;
  outcomes: number;
  workspace: number;
  segments: Record<string, number>;
  computedAt: number;
}

export interface ScoringState {
  settings: ScoringSettings;
  settingsVersion: number;
  thresholds: StoredThresholds | null;
  training: TrainingAttempt | null;
  learning: LearningState;
}

const EMPTY_LEARNING: LearningState = { outcomesSinceTraining: 0, retrainPending: null, pendingSince: null };

/** The workspace's scoring state; defaults when nothing was stored yet. */
export async function readState(db: Db, workspaceId: string): Promise<ScoringState> {
  const row = await workspaceRow(db, 'scoring_state', workspaceId, {});
  if (!row)
    return {
      settings: DEFAULT_SCORING_SETTINGS,
      settingsVersion: 0,
      thresholds: null,
      training: null,
      learning: EMPTY_LEARNING,
    };
  return {
    // Parsing fills fields added to the schema after the row was written.
    settings: scoringSettingsSchema.parse(fromJson(row.settings, {})),
    settingsVersion: row.settings_version,
    thresholds: fromJson<StoredThresholds | null>(row.thresholds, null),
    training: fromJson<TrainingAttempt | null>(row.training, null),
    learning: { ...EMPTY_LEARNING, ...fromJson<Partial<LearningState>>(row.learning, {}) },
  };
}

/** Replaces the given parts of the state (insert or update). */
export async function writeState(
  db: Db,
  workspaceId: string,
  patch: Partial<ScoringState>,
  now: number,
): Promise<ScoringState> {
  const current = await readState(db, workspaceId);
  const next: ScoringState = { ...current, ...patch };
  const values = {
    settings: toJson(next.settings),
    settings_version: next.settingsVersion,
    thresholds: next.thresholds ? toJson(next.thresholds) : null,
    training: next.training ? toJson(next.training) : null,
    learning: toJson(next.learning),
    updated_at: now,
  };
  await db
    .insertInto('scoring_state')
    .values({ workspace_id: workspaceId, ...values })
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet(values))
    .execute();
  return next;
}

/** A stored lead as scoring reads it (the kernel's one row mapping). */
function toScoringLead(row: LeadsTable): ScoringLeadFields {
  return toLead(row);
}

const CHUNK = 500;

/** Leads by id, only those of the workspace. */
export async function loadLeads(
  db: Db,
  workspaceId: string,
  ids: readonly string[],
): Promise<Map<string, { lead: ScoringLeadFields; row: LeadsTable }>> {
  const out = new Map<string, { lead: ScoringLeadFields; row: LeadsTable }>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await db
      .selectFrom('leads')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', ids.slice(i, i + CHUNK))
      .execute();
    for (const row of rows) out.set(row.id, { lead: toScoringLead(row), row });
  }
  return out;
}

/** How many events were merged into each lead (its submissions so far). */
export async function touchesOf(
  db: Db,
  workspaceId: string,
  ids: readonly string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await db
      .selectFrom('lead_history')
      .select(['lead_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('workspace_id', '=', workspaceId)
      .where('lead_id', 'in', ids.slice(i, i + CHUNK))
      .groupBy('lead_id')
      .execute();
    for (const row of rows) out.set(row.lead_id, Number(row.n));
  }
  return out;
}

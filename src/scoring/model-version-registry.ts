import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock, IdGenerator } from '../core/index.ts';
import { LeadloopError } from '../core/index.ts';
import type { Db, ScoringModelsTable, Store } from '../store/index.ts';
import { fromJson, prepared, toJson, workspaceRow } from '../store/index.ts';
import type { CandidateSummary, FeatureKind, FeatureSpec, Scorer, ScoringModel } from './ml/index.ts';
import { createScorer, parseScoringModel, serializeModel } from './ml/index.ts';

export type ModelStatus = 'champion' | 'challenger' | 'retired';

/** Figures of a model on a set of outcomes; null where they cannot be computed (one class only). */
export interface ModelFigures {
  rows: number;
  positives: number;
  auc: number | null;
  logLoss: number | null;
  ece: number | null;
  liftTopDecile: number | null;
}

/** Which of the workspace's latest outcomes a version learnt from, and why that window. */
export interface TrainingWindow {
  /** The window: at most this many of the latest outcomes (the long window, or a short one). */
  size: number;
  /** The latest outcomes it trained on: fewer than `size` while the workspace has fewer. */
  rows: number;
  /**
   * The windows trained side by side and their log-loss on the same latest outcomes, which
   * neither trained on before validation; null when the workspace had too few outcomes for more
   * than one window.
   */
  selection: {
    outcomes: number;
    measure: string;
    candidates: { size: number; rows: number; logLoss: number }[];
  } | null;
}

/** What a version is judged by, as stored with it. */
export interface ModelMetrics {
  /**
   * The validation window: the workspace's latest outcomes, held out while the settings, the
   * calibrator and the model kind were chosen. AUC and lift there are out of sample; the
   * calibrator was fitted on this window, so ECE is the calibration it reached, not a forecast.
   */
  validation: ModelFigures & { from: string | null; to: string | null };
  /** The point rules' AUC on the same window (their summed points ranking the same leads). */
  pointRules: { auc: number | null };
  candidates: CandidateSummary[];
  selection: string;
  /** The training window; null for versions stored before windows were recorded. */
  window: TrainingWindow | null;
  /** The comparison with the champion of the time, on outcomes neither had trained on. */
  comparison: {
    champion: number;
    outcomes: number;
    championLogLoss: number;
    challengerLogLoss: number;
    measure: string;
  } | null;
  /** Outcomes left out of training, by reason (profiling withdrawn, erased); absent on older versions. */
  exclusions?: { total: number; byReason: Record<string, number> };
  /**
   * The model's scores on its own training window: how many rows got each score line's points
   * (`round(100 · probability)`, 0–100), the reference a live score distribution drifts from.
   * Absent on versions trained before it was recorded.
   */
  trainingScores?: { points: number[]; rows: number };
}

export interface ModelVersionView {
  version: number;
  id: string;
  status: ModelStatus;
  kind: string;
  trainedAt: number;
  rows: number;
  positives: number;
  metrics: ModelMetrics;
  features: { name: string; kind: FeatureKind; label: string }[];
  reason: string;
  replacesVersion: number | null;
  promotedAt: number | null;
  retiredAt: number | null;
}

/** Enough of a version to score with it. */
export interface ActiveModel {
  version: number;
  id: string;
  kind: string;
  trainedAt: number;
}

interface NewModelVersion {
  model: ScoringModel;
  spec: FeatureSpec;
  metrics: ModelMetrics;
  status: ModelStatus;
  reason: string;
}

export interface ModelVersionRegistry {
  /** Every version of the workspace, newest first. */
  list(db: Db, workspaceId: string): Promise<ModelVersionView[]>;
  get(db: Db, workspaceId: string, version: number): Promise<ModelVersionView | null>;
  /** The champion and challenger of the moment (one indexed query; runs for every lead event). */
  active(
    db: Db,
    workspaceId: string,
  ): Promise<{ champion: ActiveModel | null; challenger: ActiveModel | null }>;
  /** A compiled scorer for a version, cached per process (versions never change once stored). */
  scorer(db: Db, workspaceId: string, model: ActiveModel): Promise<Scorer>;
  /** Stores a new version; a new champion retires the old one, a new challenger the old challenger. */
  register(db: Db, workspaceId: string, input: NewModelVersion, actor: Actor): Promise<ModelVersionView>;
  /** Makes a version the champion, inside the caller's transaction. */
  promoteIn(
    db: Db,
    workspaceId: string,
    version: number,
    reason: string,
    actor: Actor,
  ): Promise<ModelVersionView>;
  promote(workspaceId: string, version: number, reason: string, actor: Actor): Promise<ModelVersionView>;
  /**
   * Undoes the latest promotion: the champion is retired and the one it replaced serves again; when
   * it replaced nobody, the workspace goes back to its point rules.
   */
  rollback(
    workspaceId: string,
    reason: string,
    actor: Actor,
  ): Promise<{ retired: ModelVersionView; champion: ModelVersionView | null }>;
}

const VIEW_COLUMNS = [
  'version',
  'id',
  'status',
  'kind',
  'feature_spec',
  'metrics',
  'rows',
  'positives',
  'reason',
  'replaces_version',
  'trained_at',
  'promoted_at',
  'retired_at',
] as const;
/** A version as listings read it: the stored row without the serialised model. */
type Row = Pick<ScoringModelsTable, (typeof VIEW_COLUMNS)[number]>;

function toView(row: Row): ModelVersionView {
  const spec = fromJson<FeatureSpec>(row.feature_spec, { features: [] });
  const nullableNumber = (v: number | null) => (v === null ? null : Number(v));
  // Versions stored before training windows were recorded have none.
  const metrics = fromJson<Partial<ModelMetrics>>(row.metrics, {}) as ModelMetrics;
  return {
    version: Number(row.version),
    id: row.id,
    status: row.status as ModelStatus,
    kind: row.kind,
    trainedAt: Number(row.trained_at),
    rows: Number(row.rows),
    positives: Number(row.positives),
    metrics: { ...metrics, window: metrics.window ?? null },
    features: spec.features.map((f) => ({ name: f.name, kind: f.kind, label: f.label ?? f.name })),
    reason: row.reason,
    replacesVersion: nullableNumber(row.replaces_version),
    promotedAt: nullableNumber(row.promoted_at),
    retiredAt: nullableNumber(row.retired_at),
  };
}

const MAX_CACHED_SCORERS = 200;

/** Read for every lead the predictive stage scores: prepared once (store/prepared.ts). */
const activeModels = prepared<{ workspaceId: string }>()((db, v) =>
  db
    .selectFrom('scoring_models')
    .select(['version', 'id', 'status', 'kind', 'trained_at'])
    .where('workspace_id', '=', v.workspaceId)
    .where('status', 'in', ['champion', 'challenger']),
);

export function createModelVersionRegistry(options: {
  store: Store;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
}): ModelVersionRegistry {
  const { store, audit, clock, ids } = options;
  const scorers = new Map<string, Scorer>();

  const get = async (db: Db, workspaceId: string, version: number) => {
    const row = await workspaceRow(db, 'scoring_models', workspaceId, { version }, VIEW_COLUMNS);
    return row ? toView(row) : null;
  };

  const current = async (db: Db, workspaceId: string, status: ModelStatus) => {
    const row = await db
      .selectFrom('scoring_models')
      .select(VIEW_COLUMNS)
      .where('workspace_id', '=', workspaceId)
      .where('status', '=', status)
      .orderBy('version', 'desc')
      .executeTakeFirst();
    return row ? toView(row) : null;
  };

  const setStatus = (
    db: Db,
    workspaceId: string,
    version: number,
    values: Partial<Pick<Row, 'status' | 'promoted_at' | 'retired_at' | 'replaces_version'>>,
  ) =>
    db
      .updateTable('scoring_models')
      .set(values)
      .where('workspace_id', '=', workspaceId)
      .where('version', '=', version)
      .execute();

  async function promoteIn(
    db: Db,
    workspaceId: string,
    version: number,
    reason: string,
    actor: Actor,
  ): Promise<ModelVersionView> {
    const target = await get(db, workspaceId, version);
    if (!target)
      throw new LeadloopError('not_found', `model version ${version} not found in this workspace`, {
        issues: [{ field: 'path.version', reason: 'no such model version in this workspace' }],
      });
    if (target.status === 'champion')
      throw new LeadloopError('conflict', `model version ${version} is already the champion`);
    const now = clock.now();
    const previous = await current(db, workspaceId, 'champion');
    if (previous) await setStatus(db, workspaceId, previous.version, { status: 'retired', retired_at: now });
    await setStatus(db, workspaceId, version, {
      status: 'champion',
      promoted_at: now,
      retired_at: null,
      replaces_version: previous?.version ?? null,
    });
    await audit.append(db, workspaceId, {
      actor,
      action: 'scoring.model_promoted',
      subject: target.id,
      reason: `model v${version} (${target.kind}) now scores leads${previous ? `, replacing v${previous.version}` : ', replacing the point rules'}: ${reason}`,
      data: { version, kind: target.kind, replaced: previous?.version ?? null },
    });
    return {
      ...target,
      status: 'champion',
      promotedAt: now,
      retiredAt: null,
      replacesVersion: previous?.version ?? null,
    };
  }

  return {
    async list(db, workspaceId) {
      const rows = await db
        .selectFrom('scoring_models')
        .select(VIEW_COLUMNS)
        .where('workspace_id', '=', workspaceId)
        .orderBy('version', 'desc')
        .execute();
      return rows.map(toView);
    },
    get,
    async active(db, workspaceId) {
      const { rows } = await activeModels.execute(db, { workspaceId });
      const pick = (status: ModelStatus): ActiveModel | null => {
        const row = rows.filter((r) => r.status === status).sort((a, b) => b.version - a.version)[0];
        return row
          ? { version: Number(row.version), id: row.id, kind: row.kind, trainedAt: Number(row.trained_at) }
          : null;
      };
      return { champion: pick('champion'), challenger: pick('challenger') };
    },
    async scorer(db, workspaceId, model) {
      const cached = scorers.get(model.id);
      if (cached) return cached;
      const row = await workspaceRow(db, 'scoring_models', workspaceId, { id: model.id }, ['model']);
      if (!row) throw new LeadloopError('not_found', `model ${model.id} not found in this workspace`);
      const scorer = createScorer(parseScoringModel(JSON.parse(row.model)), { topFactors: 3 });
      if (scorers.size >= MAX_CACHED_SCORERS) scorers.delete(scorers.keys().next().value as string);
      scorers.set(model.id, scorer);
      return scorer;
    },
    async register(db, workspaceId, input, actor) {
      const now = clock.now();
      const last = await db
        .selectFrom('scoring_models')
        .select((eb) => eb.fn.max('version').as('version'))
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirst();
      const version = Number(last?.version ?? 0) + 1;
      const id = ids.next('mdl');
      const metadata = input.model.metadata;
      if (input.status !== 'retired') {
        const previous = await current(db, workspaceId, 'challenger');
        if (previous)
          await setStatus(db, workspaceId, previous.version, { status: 'retired', retired_at: now });
      }
      await db
        .insertInto('scoring_models')
        .values({
          workspace_id: workspaceId,
          version,
          id,
          // A new champion goes through promotion below, so that it retires the old one.
          status: input.status === 'champion' ? 'challenger' : input.status,
          kind: input.model.kind,
          model: serializeModel(input.model),
          feature_spec: toJson(input.spec),
          metrics: toJson(input.metrics),
          rows: metadata.trainingRows,
          positives: metadata.positives,
          reason: input.reason,
          replaces_version: null,
          trained_at: Date.parse(metadata.trainedAt) || now,
          promoted_at: null,
          retired_at: input.status === 'retired' ? now : null,
        })
        .execute();
      const v = input.metrics.validation;
      await audit.append(db, workspaceId, {
        actor,
        action: 'scoring.model_trained',
        subject: id,
        reason: `model v${version} (${input.model.kind}) trained on ${metadata.trainingRows} outcomes, registered as ${input.status}: ${input.reason}`,
        data: {
          version,
          kind: input.model.kind,
          status: input.status,
          rows: metadata.trainingRows,
          positives: metadata.positives,
          validationAuc: v.auc,
          validationLogLoss: v.logLoss,
          pointRulesAuc: input.metrics.pointRules.auc,
          window: input.metrics.window?.size ?? null,
        },
      });
      if (input.status === 'champion') return promoteIn(db, workspaceId, version, input.reason, actor);
      return (await get(db, workspaceId, version)) as ModelVersionView;
    },
    promoteIn,
    promote: (workspaceId, version, reason, actor) =>
      store.transaction((trx) => promoteIn(trx, workspaceId, version, reason, actor)),
    rollback(workspaceId, reason, actor) {
      return store.transaction(async (trx) => {
        const champion = await current(trx, workspaceId, 'champion');
        if (!champion)
          throw new LeadloopError(
            'conflict',
            'there is no champion model to roll back; the workspace already scores with its point rules',
          );
        const now = clock.now();
        await setStatus(trx, workspaceId, champion.version, { status: 'retired', retired_at: now });
        const restored =
          champion.replacesVersion === null ? null : await get(trx, workspaceId, champion.replacesVersion);
        if (restored)
          await setStatus(trx, workspaceId, restored.version, {
            status: 'champion',
            promoted_at: now,
            retired_at: null,
          });
        await audit.append(trx, workspaceId, {
          actor,
          action: 'scoring.model_rolled_back',
          subject: champion.id,
          reason: `model v${champion.version} retired, ${restored ? `v${restored.version} scores leads again` : 'the point rules score leads again'}: ${reason}`,
          data: { retired: champion.version, restored: restored?.version ?? null },
        });
        return {
          retired: { ...champion, status: 'retired' as const, retiredAt: now },
          champion: restored
            ? { ...restored, status: 'champion' as const, promotedAt: now, retiredAt: null }
            : null,
        };
      });
    },
  };
}

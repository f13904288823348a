import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock } from '../core/index.ts';
import { LeadloopError } from '../core/index.ts';
import { leadsWithScoreAndOutcome } from '../leads/index.ts';
import type { Db, Store, UnitOfWork } from '../store/index.ts';
import { dbOf } from '../store/index.ts';
import { segmentOf } from './lead-features.ts';
import type { ConversionForecast, ScoredOutcome } from './ml/index.ts';
import { chooseSegmentThresholds, forecastConversions, wilsonInterval } from './ml/index.ts';
import { type PeriodForecast, periodForecasts } from './period-forecast.ts';
import type { ScoringSettings, ScoringSettingsInput, StoredThresholds } from './scoring-state.ts';
import { loadLeads, readState, scoringSettingsSchema, writeState } from './scoring-state.ts';

/** One segment's qualification threshold with its evidence. */
interface ThresholdView {
  segment: string;
  /** Pursue (qualify) a lead of this segment when its calibrated probability is at least this. */
  threshold: number;
  /** Leads of the segment with a predicted probability and a known outcome. */
  n: number;
  conversions: number;
  rate: number;
  interval: { lower: number; upper: number; confidence: number };
  predictedRate: number;
  /** Share of the segment's own data in its threshold (the rest is borrowed from the workspace). */
  weight: number;
  reason: string;
}

interface ThresholdsView {
  segmentBy: string;
  valuePerConversion: number | null;
  costPerLead: number | null;
  /** cost / value: where pursuing a lead breaks even before segment adjustments. */
  breakEven: number | null;
  workspace: ThresholdView | null;
  items: ThresholdView[];
  /** Outcomes the thresholds were computed from. */
  outcomes: number;
  reason: string;
}

interface ForecastView extends ConversionForecast {
  segment: string | null;
  /** `model`: the probabilities of recent qualified leads; `observed-rate`: no model yet. */
  basis: 'model' | 'observed-rate';
  /** Qualified leads with a known outcome the interval was calibrated on. */
  historyOutcomes: number;
}

export interface Insights {
  getSettings(workspaceId: string): Promise<ScoringSettings & { version: number }>;
  putSettings(
    workspaceId: string,
    input: ScoringSettingsInput,
    actor: Actor,
  ): Promise<ScoringSettings & { version: number }>;
  /** Computes the thresholds; a change from the stored ones is stored and audited. */
  thresholds(workspaceId: string, actor: Actor): Promise<ThresholdsView>;
  forecast(
    workspaceId: string,
    query: { segment?: string; leads: number; level?: number },
  ): Promise<ForecastView>;
  /** Expected against realised conversions of the leads qualified in a past period, per segment. */
  periodForecasts(
    workspaceId: string,
    query: { from: number; to: number; level: number },
  ): Promise<PeriodForecast[]>;
  /** The thresholds the pipeline qualifies by now (null until computed). */
  storedThresholds(unit: UnitOfWork, workspaceId: string): Promise<ThresholdLevels | null>;
  /**
   * Replaces the stored thresholds if they still equal `expected` (compare-and-set), audited as
   * `scoring.thresholds_adjusted`; for bounded changes made by the optimiser and their rollback.
   */
  replaceThresholds(
    unit: UnitOfWork,
    workspaceId: string,
    change: { expected: ThresholdLevels; next: ThresholdLevels; reason: string },
    actor: Actor,
  ): Promise<boolean>;
}

/** The thresholds themselves: the workspace's and each segment's. */
interface ThresholdLevels {
  workspace: number;
  segments: Record<string, number>;
}

/** Whether the workspace's threshold and every segment's agree within `tolerance` (same segments). */
function levelsWithin(a: ThresholdLevels, b: ThresholdLevels, tolerance: number): boolean {
  if (Math.abs(a.workspace - b.workspace) > tolerance) return false;
  const keys = new Set([...Object.keys(a.segments), ...Object.keys(b.segments)]);
  for (const key of keys) {
    const x = a.segments[key];
    const y = b.segments[key];
    if (x === undefined || y === undefined || Math.abs(x - y) > tolerance) return false;
  }
  return true;
}

function sameLevels(a: ThresholdLevels, b: ThresholdLevels): boolean {
  return levelsWithin(a, b, 1e-9);
}

/** Thresholds use at most this many of the latest scored outcomes. */
const THRESHOLD_WINDOW = 5000;
/** Forecasts draw on at most this many of the latest qualified leads. */
const FORECAST_WINDOW = 2000;

function sameThresholds(a: StoredThresholds | null, b: StoredThresholds): boolean {
  if (!a) return false;
  if (
    a.segmentBy !== b.segmentBy ||
    a.valuePerConversion !== b.valuePerConversion ||
    a.costPerLead !== b.costPerLead
  )
    return false;
  return levelsWithin(a, b, 5e-4);
}

export function createInsights(options: { store: Store; audit: AuditLog; clock: Clock }): Insights {
  const { store, audit, clock } = options;

  async function scoredOutcomes(db: Db, workspaceId: string, segmentBy: string): Promise<ScoredOutcome[]> {
    const rows = (
      await db
        .selectFrom('lead_outcomes')
        .select(['lead_id', 'probability', 'converted'])
        .where('workspace_id', '=', workspaceId)
        .where('probability', 'is not', null)
        .orderBy('recorded_at', 'desc')
        .limit(THRESHOLD_WINDOW)
        .execute()
    ).reverse();
    const leads = await loadLeads(
      db,
      workspaceId,
      rows.map((r) => r.lead_id),
    );
    return rows.flatMap((r) => {
      const lead = leads.get(r.lead_id);
      return lead
        ? [
            {
              segment: segmentOf(lead.lead, segmentBy),
              probability: Number(r.probability),
              converted: Number(r.converted) === 1,
            },
          ]
        : [];
    });
  }

  async function computeThresholds(db: Db, workspaceId: string, settings: ScoringSettings, actor: Actor) {
    const base = {
      segmentBy: settings.segmentBy,
      valuePerConversion: settings.valuePerConversion,
      costPerLead: settings.costPerLead,
    };
    if (settings.valuePerConversion === null || settings.costPerLead === null)
      return {
        ...base,
        breakEven: null,
        workspace: null,
        items: [],
        outcomes: 0,
        reason:
          'set valuePerConversion and costPerLead (PUT /v1/scoring/settings): a threshold is where a lead’s expected value covers the cost of pursuing it',
      } satisfies ThresholdsView;
    const outcomes = await scoredOutcomes(db, workspaceId, settings.segmentBy);
    if (outcomes.length === 0)
      return {
        ...base,
        breakEven: settings.costPerLead / settings.valuePerConversion,
        workspace: null,
        items: [],
        outcomes: 0,
        reason:
          'no outcome is known yet for a lead scored by a model; thresholds are set from predicted probabilities and what happened to those leads',
      } satisfies ThresholdsView;
    const policy = chooseSegmentThresholds(outcomes, {
      valuePerConversion: settings.valuePerConversion,
      costPerLead: settings.costPerLead,
      confidence: 0.9,
    });
    const view = (s: (typeof policy)['workspace']): ThresholdView => ({
      segment: s.segment,
      threshold: s.threshold,
      n: s.leads,
      conversions: s.conversions,
      rate: s.observed.rate,
      interval: { lower: s.observed.lower, upper: s.observed.upper, confidence: s.observed.confidence },
      predictedRate: s.predictedRate,
      weight: s.weight,
      reason: s.reason,
    });
    const stored: StoredThresholds = {
      segmentBy: settings.segmentBy,
      valuePerConversion: settings.valuePerConversion,
      costPerLead: settings.costPerLead,
      outcomes: outcomes.length,
      workspace: policy.workspace.threshold,
      segments: Object.fromEntries(policy.segments.map((s) => [s.segment, s.threshold])),
      computedAt: clock.now(),
    };
    const state = await readState(db, workspaceId);
    if (!sameThresholds(state.thresholds, stored)) {
      await writeState(db, workspaceId, { thresholds: stored }, clock.now());
      await audit.append(db, workspaceId, {
        actor,
        action: 'scoring.thresholds_changed',
        subject: workspaceId,
        reason: `qualification thresholds by ${settings.segmentBy} from ${outcomes.length} scored outcomes (value ${settings.valuePerConversion}, cost ${settings.costPerLead}): workspace ${(100 * stored.workspace).toFixed(1)}%${policy.segments
          .slice(0, 10)
          .map((s) => `, ${s.segment} ${(100 * s.threshold).toFixed(1)}%`)
          .join('')}`,
        data: {
          segmentBy: settings.segmentBy,
          valuePerConversion: settings.valuePerConversion,
          costPerLead: settings.costPerLead,
          outcomes: outcomes.length,
          workspace: stored.workspace,
          segments: stored.segments,
          previous: state.thresholds
            ? { workspace: state.thresholds.workspace, segments: state.thresholds.segments }
            : null,
          betweenSegmentVariance: policy.betweenSegmentVariance,
        },
      });
    }
    return {
      ...base,
      breakEven: policy.breakEven,
      workspace: view(policy.workspace),
      items: policy.segments.map(view),
      outcomes: outcomes.length,
      reason: `expected value per lead = probability × ${settings.valuePerConversion} − ${settings.costPerLead}; segment thresholds borrow strength from the workspace in proportion to how much their own outcomes say (empirical Bayes)`,
    } satisfies ThresholdsView;
  }

  return {
    async getSettings(workspaceId) {
      const state = await readState(store.db, workspaceId);
      return { ...state.settings, version: state.settingsVersion };
    },
    putSettings(workspaceId, input, actor) {
      const settings = scoringSettingsSchema.parse(input);
      return store.transaction(async (trx) => {
        const state = await readState(trx, workspaceId);
        const version = state.settingsVersion + 1;
        const changes = Object.entries(settings)
          .filter(([key, value]) => state.settings[key as keyof ScoringSettings] !== value)
          .map(
            ([key, value]) =>
              `${key} ${JSON.stringify(state.settings[key as keyof ScoringSettings])} → ${JSON.stringify(value)}`,
          );
        await writeState(trx, workspaceId, { settings, settingsVersion: version }, clock.now());
        await audit.append(trx, workspaceId, {
          actor,
          action: 'scoring.settings_updated',
          subject: workspaceId,
          reason: `scoring settings version ${version}: ${changes.join('; ') || 'no change'}`,
          data: { version, settings },
        });
        // Thresholds follow value, cost and segments at once, so qualification never runs on stale ones.
        await computeThresholds(trx, workspaceId, settings, actor);
        return { ...settings, version };
      });
    },
    thresholds(workspaceId, actor) {
      return store.transaction(async (trx) => {
        const state = await readState(trx, workspaceId);
        return computeThresholds(trx, workspaceId, state.settings, actor);
      });
    },
    periodForecasts: (workspaceId, query) => periodForecasts(store.db, workspaceId, query),

    async storedThresholds(unit, workspaceId) {
      const t = (await readState(dbOf(unit), workspaceId)).thresholds;
      return t ? { workspace: t.workspace, segments: { ...t.segments } } : null;
    },

    async replaceThresholds(unit, workspaceId, change, actor) {
      const db = dbOf(unit);
      const state = await readState(db, workspaceId);
      const t = state.thresholds;
      if (!t || !sameLevels({ workspace: t.workspace, segments: t.segments }, change.expected)) return false;
      const next = { ...t, workspace: change.next.workspace, segments: { ...change.next.segments } };
      await writeState(db, workspaceId, { thresholds: next }, clock.now());
      await audit.append(db, workspaceId, {
        actor,
        action: 'scoring.thresholds_adjusted',
        subject: workspaceId,
        reason: `${change.reason}: workspace ${(100 * t.workspace).toFixed(1)}% → ${(100 * next.workspace).toFixed(1)}%`,
        data: { previous: change.expected, thresholds: change.next },
      });
      return true;
    },

    async forecast(workspaceId, query) {
      const db = store.db;
      const level = query.level ?? 0.9;
      const state = await readState(db, workspaceId);
      const segmentBy = state.settings.segmentBy;
      const rows = (
        await leadsWithScoreAndOutcome(db, workspaceId)
          .select([
            'leads.id as id',
            'lead_scores.probability as scored',
            'lead_outcomes.probability as predicted',
            'lead_outcomes.converted as converted',
          ])
          .where('leads.status', '=', 'qualified')
          .orderBy('leads.created_at', 'desc')
          .orderBy('leads.id', 'desc')
          .limit(FORECAST_WINDOW)
          .execute()
      ).reverse();
      const leads = await loadLeads(
        db,
        workspaceId,
        rows.map((r) => r.id),
      );
      const inSegment = rows.filter((r) => {
        const lead = leads.get(r.id);
        return lead && (query.segment === undefined || segmentOf(lead.lead, segmentBy) === query.segment);
      });
      const where =
        query.segment === undefined ? 'the workspace' : `segment "${query.segment}" (${segmentBy})`;
      const known = inSegment.filter((r) => r.converted !== null);
      const scored = inSegment.filter((r) => r.scored !== null).map((r) => Number(r.scored));
      const withPrediction = known.filter((r) => r.predicted !== null);
      let forecast: ConversionForecast;
      let basis: ForecastView['basis'];
      let historyOutcomes: number;
      if (scored.length > 0) {
        // The next leads are assumed to look like the latest qualified ones the champion scored.
        const recent = scored.slice(-query.leads);
        const probabilities = Float64Array.from(
          { length: query.leads },
          (_, i) => recent[i % recent.length]!,
        );
        forecast = forecastConversions({
          probabilities,
          level,
          ...(withPrediction.length > 0
            ? {
                history: {
                  probabilities: withPrediction.map((r) => Number(r.predicted)),
                  outcomes: withPrediction.map((r) => Number(r.converted)),
                },
              }
            : {}),
        });
        basis = 'model';
        historyOutcomes = withPrediction.length;
      } else if (known.length > 0) {
        const outcomes = known.map((r) => Number(r.converted));
        const rate = outcomes.reduce((s, v) => s + v, 0) / outcomes.length;
        const observed = wilsonInterval(
          outcomes.reduce((s, v) => s + v, 0),
          outcomes.length,
          level,
        );
        forecast = forecastConversions({
          leads: query.leads,
          rate,
          level,
          history: { probabilities: outcomes.map(() => rate), outcomes },
        });
        // With no model the rate itself is uncertain: widen to the Wilson bounds of the observed rate.
        const low = forecastConversions({ leads: query.leads, rate: observed.lower, level });
        const high = forecastConversions({ leads: query.leads, rate: observed.upper, level });
        forecast = {
          ...forecast,
          lower: Math.min(forecast.lower, low.lower),
          upper: Math.max(forecast.upper, high.upper),
          reason: `${forecast.reason}; widened by the ${Math.round(level * 100)}% Wilson interval of the observed rate (${known.length} outcomes)`,
        };
        basis = 'observed-rate';
        historyOutcomes = known.length;
      } else {
        throw new LeadloopError(
          'conflict',
          `no qualified lead of ${where} has a model score or a known outcome yet; a forecast needs one or the other`,
          { issues: [{ field: 'query.segment', reason: 'no scored or labelled qualified leads' }] },
        );
      }
      return {
        ...forecast,
        segment: query.segment ?? null,
        basis,
        historyOutcomes,
        reason: `${query.leads} next qualified leads of ${where}, ${basis === 'model' ? `probabilities of the latest ${Math.min(scored.length, query.leads)} the model scored` : 'at the observed conversion rate'}: ${forecast.reason}`,
      };
    },
  };
}

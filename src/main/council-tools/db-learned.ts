import { inWorkspace, readingDirectory } from '../../core/index.ts';
import {
  dealBandOf,
  type LearnedConversions,
  normaliseCountry,
  normaliseIndustry,
  regionOf,
} from '../../council/index.ts';
import type { Db } from '../../store/index.ts';
import { fromJson } from '../../store/index.ts';

const DAY_MS = 86_400_000;
/** Outcomes older than this no longer teach the optimizers (markets move). */
const LEARNING_WINDOW_DAYS = 365;
const MAX_OUTCOMES_PER_UNIT = 50_000;
const MAX_CELLS = 500;
const MAX_UNITS = 200;

/**
 * Outcome counts per industry, region and deal band for every business unit (workspace) of the
 * asking workspace's organisation. Each unit is read in its own data scope (row-level security holds
 * on PostgreSQL), and only counts leave it: no lead id, name or value.
 */
export async function learnedConversions(
  db: Db,
  workspaceId: string,
  now: number,
): Promise<LearnedConversions> {
  // The organisation's other units lie outside this workspace's scope: the directory is read
  // across workspaces (migration 018), their rows each in their own scope below.
  const self = await readingDirectory(() =>
    db.selectFrom('workspaces').select('organisation_id').where('id', '=', workspaceId).executeTakeFirst(),
  );
  const units = self
    ? (
        await readingDirectory(() =>
          db
            .selectFrom('workspaces')
            .select('id')
            .where('organisation_id', '=', self.organisation_id)
            .orderBy('id')
            .limit(MAX_UNITS)
            .execute(),
        )
      ).map((w) => w.id)
    : [workspaceId];
  const since = now - LEARNING_WINDOW_DAYS * DAY_MS;
  const cells = new Map<string, LearnedConversions['cells'][number]>();
  for (const [index, unit] of units.entries()) {
    const rows = await inWorkspace(unit, () =>
      db
        .selectFrom('lead_outcomes as o')
        .innerJoin('leads as l', (j) =>
          j.onRef('l.workspace_id', '=', 'o.workspace_id').onRef('l.id', '=', 'o.lead_id'),
        )
        .select(['l.country', 'l.attributes', 'o.converted'])
        .where('o.workspace_id', '=', unit)
        .where('o.occurred_at', '>=', since)
        .limit(MAX_OUTCOMES_PER_UNIT)
        .execute(),
    );
    for (const row of rows) {
      const attributes = fromJson<Record<string, unknown>>(row.attributes, {});
      const declared = attributes.dealSizeUsd;
      const usd =
        typeof declared === 'number' && Number.isFinite(declared) && declared >= 0 ? declared : null;
      const industry =
        normaliseIndustry(typeof attributes.industry === 'string' ? attributes.industry : null) ?? '(none)';
      const region = regionOf(normaliseCountry(row.country)) ?? '(none)';
      const dealBand = dealBandOf(usd) ?? '(none)';
      const key = `${industry}|${region}|${dealBand}`;
      let cell = cells.get(key);
      if (!cell) {
        if (cells.size >= MAX_CELLS) continue;
        cell = {
          industry,
          region,
          dealBand,
          units: units.map((u) => ({ self: u === workspaceId, leads: 0, conversions: 0 })),
        };
        cells.set(key, cell);
      }
      const counts = cell.units[index];
      if (!counts) continue;
      counts.leads += 1;
      if (Number(row.converted) === 1) counts.conversions += 1;
    }
  }
  return { windowDays: LEARNING_WINDOW_DAYS, cells: [...cells.values()] };
}

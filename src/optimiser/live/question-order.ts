import type { Clock, IdGenerator, WorkspaceContext } from '../../core/index.ts';
import { inWorkspace } from '../../core/index.ts';
import type { Db, Store } from '../../store/index.ts';
import { fromJson, toJson } from '../../store/index.ts';
import {
  type Adjustment,
  type AdjustmentDeps,
  freshGuard,
  hourlyBlock,
  MINUTE,
  modeBlock,
  record,
  trafficBlock,
} from './adjustments.ts';
import type { OptimiserPolicy } from './policy.ts';
import type { CountedMetric, MetricCounts, PlaybookQuestions, QuestionOrderState } from './ports.ts';

/**
 * A `question_order` change: when chats start stopping at one question of a playbook, that
 * question is asked one place later, if the day's drop-off says it loses more of the chats that
 * reach it than the question after it does. A visitor who would leave at it then answers the
 * other question first (the hand-off carries one more slot), and a question that costs trust is
 * asked after some has been built. One adjacent swap a change (the step bound), at most
 * `maxPerHour` an hour, guarded on the playbook's chat completion: if the share of its chats that
 * end without stopping at a question falls by the guard's bound, the swap is undone.
 */

/** Drop-off is compared over the day before the change (the detectors' reference length). */
const DROPOFF_EVIDENCE_MINUTES = 1440;
/** One-sided z of the two-proportion test a swap needs (about a 1% chance under no difference). */
const SWAP_Z = 2.33;

/** Ended chats that reached a question, and of them those that stopped there. */
export interface QuestionDropoff {
  reached: number;
  dropped: number;
}

export interface PlannedSwap {
  /** The question asked one place later, and the one it now follows. */
  slot: string;
  next: string;
  order: string[];
  evidence: { slot: QuestionDropoff; next: QuestionDropoff; z: number };
}

const rate = (d: QuestionDropoff) => (d.reached > 0 ? d.dropped / d.reached : 0);
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/**
 * The bounded step: moves `focus` (or, without it, the question whose drop-off most exceeds its
 * successor's) one place later, when both were reached by at least `minReached` chats and the
 * two-proportion z is at least 2.33; null otherwise (why, in `reason`).
 */
export function planQuestionSwap(
  order: readonly string[],
  dropoff: ReadonlyMap<string, QuestionDropoff>,
  rule: { minReached: number; focus?: string | undefined },
): { ok: true; swap: PlannedSwap } | { ok: false; reason: string } {
  let best: PlannedSwap | null = null;
  let why = 'no question loses significantly more chats than the one after it';
  for (let i = 0; i + 1 < order.length; i++) {
    const slot = order[i] as string;
    const next = order[i + 1] as string;
    if (rule.focus !== undefined && slot !== rule.focus) continue;
    const a = dropoff.get(slot) ?? { reached: 0, dropped: 0 };
    const b = dropoff.get(next) ?? { reached: 0, dropped: 0 };
    if (a.reached < rule.minReached || b.reached < rule.minReached) {
      why = `too few chats to compare ${slot} (${a.reached}) and ${next} (${b.reached}); the policy needs ${rule.minReached} each`;
      continue;
    }
    const pooled = (a.dropped + b.dropped) / (a.reached + b.reached);
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.reached + 1 / b.reached));
    const z = se > 0 ? (rate(a) - rate(b)) / se : 0;
    if (z < SWAP_Z) {
      why = `${slot} loses ${pct(rate(a))} of ${a.reached} chats, ${next} ${pct(rate(b))} of ${b.reached}: not a significant difference (z ${z.toFixed(2)} < ${SWAP_Z})`;
      continue;
    }
    if (best && z <= best.evidence.z) continue;
    const swapped = [...order];
    swapped[i] = next;
    swapped[i + 1] = slot;
    best = { slot, next, order: swapped, evidence: { slot: a, next: b, z } };
  }
  if (rule.focus !== undefined && !order.includes(rule.focus))
    return { ok: false, reason: `${rule.focus} is not a question of the playbook` };
  if (rule.focus !== undefined && order[order.length - 1] === rule.focus)
    return { ok: false, reason: `${rule.focus} is already the last question` };
  return best ? { ok: true, swap: best } : { ok: false, reason: why };
}

/**
 * `order` applied to a playbook's own question slots: only when it names exactly the same slots
 * (the playbook may have been edited since the order was set; then its own order stands).
 */
export function orderedSlots(own: readonly string[], order: readonly string[] | null): string[] {
  if (!order || order.length !== own.length) return [...own];
  const set = new Set(own);
  return order.every((s) => set.has(s)) && new Set(order).size === own.length ? [...order] : [...own];
}

/** The order the workspace's chat asks a playbook's questions in, or null for the playbook's own. */
export async function readQuestionOrder(
  db: Db,
  workspaceId: string,
  playbookId: string,
): Promise<string[] | null> {
  const row = await db
    .selectFrom('question_orders')
    .select('question_order')
    .where('workspace_id', '=', workspaceId)
    .where('playbook_id', '=', playbookId)
    .executeTakeFirst();
  return row ? fromJson<string[]>(row.question_order, []) : null;
}

/**
 * Replaces a playbook's order only if it still equals `expected` (a compare-and-set, so a rollback
 * never overwrites a newer change). An empty `next` order removes the row: the playbook's own order.
 */
export async function replaceQuestionOrder(
  db: Db,
  workspaceId: string,
  change: { expected: QuestionOrderState; next: QuestionOrderState; adjustmentId: string; at: number },
): Promise<boolean> {
  const { playbookId } = change.expected;
  const current = (await readQuestionOrder(db, workspaceId, playbookId)) ?? [];
  if (JSON.stringify(current) !== JSON.stringify(change.expected.order)) return false;
  if (change.next.order.length === 0) {
    await db
      .deleteFrom('question_orders')
      .where('workspace_id', '=', workspaceId)
      .where('playbook_id', '=', playbookId)
      .execute();
    return true;
  }
  const order = toJson(change.next.order);
  await db
    .insertInto('question_orders')
    .values({
      workspace_id: workspaceId,
      playbook_id: playbookId,
      question_order: order,
      adjustment_id: change.adjustmentId,
      updated_at: change.at,
    })
    .onConflict((oc) =>
      oc
        .columns(['workspace_id', 'playbook_id'])
        .doUpdateSet({ question_order: order, adjustment_id: change.adjustmentId, updated_at: change.at }),
    )
    .execute();
  return true;
}

/** Sums a metric's per-minute rows of the segments `accept` picks, per minute. */
async function perMinuteOf(
  metrics: MetricCounts,
  ctx: WorkspaceContext,
  metric: CountedMetric,
  from: number,
  to: number,
  accept: (segment: string) => boolean,
): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (to <= from) return out;
  for (const row of await metrics.perMinute(ctx, metric, from, to))
    if (accept(row.segment)) out.set(row.minute, (out.get(row.minute) ?? 0) + row.count);
  return out;
}

/**
 * A playbook's chat completion per minute, as a guard reads it: `arrivals` are its ended chats,
 * `qualified` those that did not stop at a question.
 */
export async function chatCompletionMinutes(
  metrics: MetricCounts,
  ctx: WorkspaceContext,
  playbookId: string,
  from: number,
  to: number,
): Promise<{ minute: number; arrivals: number; qualified: number }[]> {
  const ended = await perMinuteOf(
    metrics,
    ctx,
    'chats_ended',
    from,
    to,
    (s) => s === `playbook:${playbookId}`,
  );
  const prefix = `question:${playbookId}/`;
  const dropped = await perMinuteOf(metrics, ctx, 'chat_dropped', from, to, (s) => s.startsWith(prefix));
  const out: { minute: number; arrivals: number; qualified: number }[] = [];
  for (let minute = from; minute < to; minute++) {
    const arrivals = ended.get(minute) ?? 0;
    out.push({ minute, arrivals, qualified: Math.max(0, arrivals - (dropped.get(minute) ?? 0)) });
  }
  return out;
}

/** Proposing, making and guarding question-order changes. */
export function createQuestionOrders(deps: {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  metrics: MetricCounts;
  adjustmentDeps: AdjustmentDeps;
  playbooks: PlaybookQuestions | undefined;
}) {
  const { store, clock, ids, metrics, adjustmentDeps } = deps;

  /** Completion of a playbook's chats over the `minutes` before now: a guard's baseline. */
  async function completionBefore(ctx: WorkspaceContext, playbookId: string, minutes: number) {
    const to = Math.floor(clock.now() / MINUTE);
    const from = to - minutes;
    const rows = await chatCompletionMinutes(metrics, ctx, playbookId, from, to);
    const arrivals = rows.reduce((n, r) => n + r.arrivals, 0);
    const completed = rows.reduce((n, r) => n + r.qualified, 0);
    return { rate: arrivals > 0 ? completed / arrivals : 0, arrivals, from: from * MINUTE, to: to * MINUTE };
  }

  /** Drop-off at each question of a playbook over the day before now. */
  async function dropoffOf(ctx: WorkspaceContext, playbookId: string): Promise<Map<string, QuestionDropoff>> {
    const to = Math.floor(clock.now() / MINUTE);
    const from = to - DROPOFF_EVIDENCE_MINUTES;
    const prefix = `question:${playbookId}/`;
    const out = new Map<string, QuestionDropoff>();
    for (const [metric, key] of [
      ['chat_reached', 'reached'],
      ['chat_dropped', 'dropped'],
    ] as const)
      for (const row of await metrics.perMinute(ctx, metric, from, to)) {
        if (!row.segment.startsWith(prefix)) continue;
        const slot = row.segment.slice(prefix.length);
        const d = out.get(slot) ?? { reached: 0, dropped: 0 };
        d[key] += row.count;
        out.set(slot, d);
      }
    return out;
  }

  /** Why the policy holds the change back (recorded as `proposed`), or null to make it. */
  async function blockOf(
    db: Db,
    ctx: WorkspaceContext,
    policy: OptimiserPolicy,
    origin: Adjustment['origin'],
    baseline: { arrivals: number },
  ): Promise<string | null> {
    const rule = policy.questionOrder;
    // A council recommendation is advice: a person decides it, as in `propose` mode.
    const mode = modeBlock(
      policy.enabled,
      rule.mode === 'apply' && origin === 'council' ? 'propose' : rule.mode,
      'question-order changes',
    );
    if (mode) return mode;
    return (
      (await hourlyBlock(db, ctx.workspaceId, {
        kind: 'question_order',
        ...rule,
        one: 'question-order change',
        now: clock.now(),
      })) ??
      trafficBlock(
        baseline.arrivals,
        `ended chats of the playbook in the ${rule.guard.windowMinutes} minutes before`,
      )
    );
  }

  /**
   * Plans the swap from the day's drop-off and records it: applied with its guard when the policy
   * allows, otherwise proposed with the reason. Null when there is nothing to change (the reason
   * is returned instead: a question already last, too few chats, no significant difference).
   */
  async function reorder(
    ctx: WorkspaceContext,
    policy: OptimiserPolicy,
    request: {
      origin: Adjustment['origin'];
      alertId: string | null;
      playbookId: string;
      /** The question the alert named; without it, the pair with the largest significant gap. */
      focus?: string;
      reason: string;
    },
  ): Promise<{ adjustment: Adjustment } | { adjustment: null; reason: string }> {
    const own = deps.playbooks ? await deps.playbooks.slots(ctx, request.playbookId) : null;
    if (!own) return { adjustment: null, reason: `no playbook ${request.playbookId} in this workspace` };
    const stored = await readQuestionOrder(store.db, ctx.workspaceId, request.playbookId);
    const current = orderedSlots(own, stored);
    const planned = planQuestionSwap(current, await dropoffOf(ctx, request.playbookId), {
      minReached: policy.questionOrder.minReached,
      focus: request.focus,
    });
    if (!planned.ok) return { adjustment: null, reason: planned.reason };
    const { swap } = planned;
    const rule = policy.questionOrder;
    const baseline = await completionBefore(ctx, request.playbookId, rule.guard.windowMinutes);
    const segment = `playbook:${request.playbookId}`;
    const evidence = `${swap.slot} lost ${pct(rate(swap.evidence.slot))} of ${swap.evidence.slot.reached} chats that reached it over the last day, ${swap.next} ${pct(rate(swap.evidence.next))} of ${swap.evidence.next.reached} (z ${swap.evidence.z.toFixed(2)})`;
    const reason = `${request.reason}; ${evidence}: ${swap.slot} is asked after ${swap.next}`;
    const adjustment = await inWorkspace(ctx.workspaceId, () =>
      store.transaction(async (trx) => {
        const id = ids.next('adj');
        const now = clock.now();
        const before: QuestionOrderState = { playbookId: request.playbookId, order: stored ?? [] };
        const after: QuestionOrderState = { playbookId: request.playbookId, order: swap.order };
        let blocked = await blockOf(trx, ctx, policy, request.origin, baseline);
        if (
          !blocked &&
          !(await replaceQuestionOrder(trx, ctx.workspaceId, {
            expected: before,
            next: after,
            adjustmentId: id,
            at: now,
          }))
        )
          blocked = 'the playbook’s question order changed while the change was prepared';
        const guard = blocked ? null : freshGuard(rule.guard, baseline, now, segment);
        return record(
          adjustmentDeps,
          trx,
          ctx,
          {
            ...request,
            id,
            kind: 'question_order',
            target: `playbook ${request.playbookId} question order`,
            before,
            after,
            reason,
            blocked,
            guard,
            watchMinutes: rule.guard.windowMinutes,
            now,
          },
          {
            dropoff: { [swap.slot]: swap.evidence.slot, [swap.next]: swap.evidence.next, z: swap.evidence.z },
          },
        );
      }),
    );
    return { adjustment };
  }

  return { reorder, completionBefore };
}

import { assertNever } from '../../core/index.ts';
import type { SimLead } from './lead-stream.ts';
import type { Fault } from './scenarios.ts';
import { BASELINE_BOUNCE, QUESTION_DROPOFF } from './scenarios.ts';

/** What the platform saw of one lead, and what it would have seen with no fault and no change. */
export interface Observation {
  lead: SimLead;
  arrived: boolean;
  /** Question the lead dropped at (1-based), or 0 when the chat completed. */
  droppedAt: number;
  completed: boolean;
  qualified: boolean;
  bounced: boolean;
  converted: boolean;
  wouldConvert: boolean;
}

/** Families of alarm, each mapped to the one automatic change the loop may make for it. */
export type AlarmFamily = 'qualification' | 'silence' | 'question' | 'workflow' | 'conversion' | 'psi';

export interface Alarm {
  minute: number;
  family: AlarmFamily;
  /** `all`, `industry:x`, `source:x`, `question:n`, `variant:x`. */
  stream: string;
  statistic: number;
}

/** A bounded change applied on an alarm: it fixes the fault it matches, or (qualification) costs 10% of the scope's qualified leads. */
export interface Change {
  minute: number;
  family: AlarmFamily;
  stream: string;
  fixes: boolean;
  harmful: boolean;
  rolledBackAt?: number;
}

/** Share of would-be qualified leads a threshold step on noise rejects (the bounded step's cost). */
export const HARM_REJECTION = 0.1;

export interface World {
  fault?: Fault;
  onset: number;
  /** Minute from which the fault is mitigated (a matching change), or +∞. */
  mitigatedAt: number;
  changes: Change[];
  threshold: number;
}

export function faultStrength(world: World, minute: number): number {
  const f = world.fault;
  if (!f || minute < world.onset || minute >= world.mitigatedAt) return 0;
  if (f.rampMinutes <= 0) return f.strength;
  return f.strength * Math.min(1, (minute - world.onset) / f.rampMinutes);
}

export function inStream(lead: SimLead, stream: string): boolean {
  if (stream === 'all') return true;
  if (stream.startsWith('industry:')) return lead.industry === stream.slice(9);
  if (stream.startsWith('source:')) return lead.source === stream.slice(7);
  return false;
}

/** Runs one lead through the chat, qualification and workflow under the world's faults and changes. */
export function observe(world: World, lead: SimLead): Observation {
  const f = world.fault;
  const strength = faultStrength(world, lead.minute);
  const wouldQualify =
    lead.questionDraws.every((u, i) => u >= (QUESTION_DROPOFF[i] ?? 0)) && lead.score >= world.threshold;
  const wouldConvert = wouldQualify && lead.converts && lead.bounceDraw >= BASELINE_BOUNCE;
  if (f?.kind === 'silence' && strength > 0 && lead.source === f.scope) {
    return {
      lead,
      arrived: false,
      droppedAt: 0,
      completed: false,
      qualified: false,
      bounced: false,
      converted: false,
      wouldConvert,
    };
  }
  let droppedAt = 0;
  for (let i = 0; i < lead.questionDraws.length && droppedAt === 0; i++) {
    const faulty = f?.kind === 'question' && strength > 0 && f.scope === String(i + 1);
    const dropoff = faulty ? strength : (QUESTION_DROPOFF[i] ?? 0);
    if ((lead.questionDraws[i] ?? 1) < dropoff) droppedAt = i + 1;
  }
  const completed = droppedAt === 0;
  let qualified = completed && lead.score >= world.threshold;
  if (
    qualified &&
    f?.kind === 'qualification' &&
    strength > 0 &&
    (f.scope === '*' || f.scope === lead.industry)
  ) {
    qualified = lead.faultDraw >= strength;
  }
  if (qualified && lead.harmDraw < HARM_REJECTION) {
    for (const c of world.changes) {
      if (c.harmful && c.rolledBackAt === undefined && c.minute < lead.minute && inStream(lead, c.stream)) {
        qualified = false;
        break;
      }
    }
  }
  let bounced = false;
  if (qualified) {
    const variant = routedVariant(world, lead);
    const faulty = f?.kind === 'workflow' && strength > 0 && f.scope === variant;
    bounced = lead.bounceDraw < (faulty ? strength : BASELINE_BOUNCE);
  }
  return {
    lead,
    arrived: true,
    droppedAt,
    completed,
    qualified,
    bounced,
    converted: qualified && !bounced && lead.converts,
    wouldConvert,
  };
}

/** A workflow alarm shifts the traffic split away from the alarmed variant (Thompson sampling's floor aside). */
function routedVariant(world: World, lead: SimLead): string {
  for (const c of world.changes) {
    if (
      c.family === 'workflow' &&
      c.rolledBackAt === undefined &&
      c.minute < lead.minute &&
      c.stream === `variant:${lead.variant}`
    ) {
      return lead.variant === 'a' ? 'b' : 'a';
    }
  }
  return lead.variant;
}

/** Whether a change made for `alarm` removes the world's fault. */
export function changeFixes(world: World, alarm: Alarm): boolean {
  const f = world.fault;
  if (!f || alarm.minute < world.onset) return false;
  switch (alarm.family) {
    case 'qualification':
      // A recalibration re-checks every segment's threshold, so any qualification alarm repairs any qualification fault.
      return f.kind === 'qualification';
    case 'silence':
      return f.kind === 'silence' && alarm.stream === `source:${f.scope}`;
    case 'question':
      return f.kind === 'question' && alarm.stream === `question:${f.scope}`;
    case 'workflow':
      return f.kind === 'workflow' && alarm.stream === `variant:${f.scope}`;
    case 'conversion':
    case 'psi':
      return false;
    default: {
      return assertNever(alarm.family, 'family');
    }
  }
}

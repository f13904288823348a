import type { Random } from '../../core/index.ts';
import { poissonDraw } from '../detectors/poisson-draw.ts';
import type { BankMaterial } from './bank-stream.ts';
import {
  LABEL_LAG_MINUTES,
  LEADS_PER_MINUTE,
  REGION_MIX,
  SOURCE_MIX,
  WORKFLOW_VARIANTS,
} from './scenarios.ts';

/**
 * One simulated lead with every random draw it will ever need taken up front, so the stream is
 * the same whatever the policy does: the loop, the 6-hour batch and the oracle see identical
 * leads, and regret compares like with like.
 */
export interface SimLead {
  minute: number;
  industry: string;
  source: string;
  /** Only the per-segment conversion streams read these two. */
  region: string;
  playbook: string;
  score: number;
  /** The bank row's outcome: converts if qualified and followed up without a bounce. */
  converts: boolean;
  questionDraws: readonly number[];
  faultDraw: number;
  harmDraw: number;
  variant: string;
  bounceDraw: number;
  revealMinute: number;
}

export function generateMinute(material: BankMaterial, random: Random, minute: number): SimLead[] {
  const count = poissonDraw(random, LEADS_PER_MINUTE);
  const leads: SimLead[] = [];
  const rows = material.replay;
  for (let i = 0; i < count; i++) {
    const row = rows[Math.floor(random() * rows.length)] ?? rows[0];
    if (!row) break;
    leads.push({
      minute,
      industry: row.industry,
      source: pickSource(random()),
      region: regionOf(minute, i),
      playbook: row.playbook ?? 'default',
      score: row.score,
      converts: row.converts,
      questionDraws: [random(), random(), random(), random()],
      faultDraw: random(),
      harmDraw: random(),
      variant: WORKFLOW_VARIANTS[Math.floor(random() * WORKFLOW_VARIANTS.length)] ?? 'a',
      bounceDraw: random(),
      revealMinute:
        minute + LABEL_LAG_MINUTES[0] + Math.floor(random() * (LABEL_LAG_MINUTES[1] - LABEL_LAG_MINUTES[0])),
    });
  }
  return leads;
}

/**
 * A lead's region from a hash of its minute and place, not from the stream's random draws: the
 * draws every other figure rests on stay where they were (the bank file has no country).
 */
function regionOf(minute: number, index: number): string {
  let x = Math.imul(minute ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  const u = ((x ^ (x >>> 16)) >>> 0) / 2 ** 32;
  let acc = 0;
  for (const [name, share] of REGION_MIX) {
    acc += share;
    if (u < acc) return name;
  }
  return 'other';
}

function pickSource(u: number): string {
  let acc = 0;
  for (const [name, share] of SOURCE_MIX) {
    acc += share;
    if (u < acc) return name;
  }
  return SOURCE_MIX[SOURCE_MIX.length - 1]?.[0] ?? 'web';
}

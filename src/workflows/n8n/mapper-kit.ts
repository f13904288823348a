import type { Step, Trigger } from '../dsl/index.ts';
import { type RefContext, templateFromN8n } from './expressions.ts';

/**
 * One n8n node → a Leadloop trigger, step or note, without its edges (the importer wires them
 * from `connections`). Each result says whether the node was mapped, approximated (runs, but not
 * exactly as in n8n: the reasons say how) or unmapped (kept as an opaque step that never runs).
 */

export interface N8nNode {
  id?: string;
  name: string;
  type: string;
  typeVersion?: number;
  position?: [number, number];
  parameters?: Record<string, unknown>;
  credentials?: Record<string, unknown>;
  disabled?: boolean;
  notes?: string;
  onError?: string;
  webhookId?: string;
}

export type Outcome = 'mapped' | 'approximated' | 'unmapped';

/** A step without edges; the importer adds them. */
type Unwired = Step;

export type NodeMapping =
  | { kind: 'trigger'; triggers: Trigger[]; outcome: Outcome; reasons: string[] }
  | { kind: 'step'; step: Unwired; outcome: Outcome; reasons: string[] }
  | { kind: 'note'; text: string; size?: [number, number] };

export interface MapContext extends RefContext {
  id: string;
  timezone: string;
}

export type Mapper = (node: N8nNode, p: Record<string, unknown>, ctx: MapContext) => NodeMapping;

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export type Rec = Record<string, unknown>;
/** A parameter group as an object (n8n leaves absent groups out, or saves them as arrays). */
export const rec = (v: unknown): Rec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});

/** n8n's `limit` parameter as a page size from 1 to `max`; `fallback` when the node gives none. */
export function pageSize(limit: unknown, max: number, fallback: number): number {
  return typeof limit === 'number' ? Math.min(Math.max(1, Math.round(limit)), max) : fallback;
}

/** Where an imported read keeps the vendor's answer: `vars.<node name as an identifier>`. */
export function saveAsName(node: N8nNode): string {
  return (
    node.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 60) || 'response'
  );
}

/** Collects template conversions and whether all were exact. */
export function templater(ctx: MapContext) {
  const reasons: string[] = [];
  const t = (value: unknown, what: string): string => {
    const c = templateFromN8n(value, ctx);
    if (!c.exact) reasons.push(`${what}: a JavaScript expression is kept as text and not evaluated`);
    return c.text.slice(0, 20_000);
  };
  return { t, reasons };
}

export function outcomeOf(reasons: string[]): Outcome {
  return reasons.length === 0 ? 'mapped' : 'approximated';
}

export function opaque(node: N8nNode, reason: string): NodeMapping {
  const step: Step = {
    id: '',
    type: 'opaque',
    origin: {
      system: 'n8n',
      nodeType: node.type,
      ...(node.typeVersion !== undefined ? { typeVersion: node.typeVersion } : {}),
      ...(node.parameters ? { parameters: node.parameters } : {}),
    },
    reason,
  };
  return { kind: 'step', step, outcome: 'unmapped', reasons: [reason] };
}

export function step(s: Record<string, unknown>, reasons: string[]): NodeMapping {
  return { kind: 'step', step: { id: '', ...s } as Step, outcome: outcomeOf(reasons), reasons };
}

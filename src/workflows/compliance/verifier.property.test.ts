import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type Step, stepEdges, type Workflow } from '../dsl/index.ts';
import { computeDominators } from './dominators.ts';
import { provesGuard, provesOutside } from './implication.ts';
import { COMPLIANCE_RULES, GDPR_TERRITORY, type PathRule } from './rules.ts';
import { verifyWorkflow } from './verifier.ts';

/**
 * Random step graphs (branches, back edges, waits, country updates, consent and territory checks)
 * checked against a brute-force enumeration of walks whose guard state is recomputed from the
 * whole walk. Walks are cut when they revisit a node in the same state (cutting such a cycle out
 * of a violating walk leaves a violating walk), so the enumeration is finite and still exact.
 */

const KINDS = ['consent', 'score', 'us', 'eu', 'wait', 'noop', 'mail', 'setCountry'] as const;
type Kind = (typeof KINDS)[number];

const arbGraph = fc.integer({ min: 2, max: 8 }).chain((n) =>
  fc.tuple(
    fc.constant(n),
    fc.array(
      fc.record({
        kind: fc.constantFrom<Kind>(...KINDS, 'consent', 'consent', 'mail', 'wait', 'us'),
        a: fc.option(fc.integer({ min: 0, max: n - 1 }), { nil: undefined }),
        b: fc.option(fc.integer({ min: 0, max: n - 1 }), { nil: undefined }),
        // Error edges are rare, or they would bypass every guard.
        err: fc.oneof(
          { arbitrary: fc.constant(undefined), weight: 8 },
          { arbitrary: fc.integer({ min: 0, max: n - 1 }), weight: 1 },
        ),
      }),
      { minLength: n, maxLength: n },
    ),
  ),
);

function build(nodes: { kind: Kind; a?: number; b?: number; err?: number }[]): Workflow {
  const id = (i: number | undefined) => (i === undefined ? undefined : `s${i}`);
  const steps: Step[] = nodes.map((node, i) => {
    const base = { id: `s${i}`, ...(node.err !== undefined ? { onError: `s${node.err}` } : {}) };
    const branch = (when: Extract<Step, { type: 'condition' }>['when']): Step => ({
      ...base,
      type: 'condition',
      when,
      ...(node.a !== undefined ? { onTrue: id(node.a) } : {}),
      ...(node.b !== undefined ? { onFalse: id(node.b) } : {}),
    });
    const next = node.a !== undefined ? { next: id(node.a) } : {};
    switch (node.kind) {
      case 'consent':
        return branch({ consent: { purposes: ['email_marketing'] } });
      case 'score':
        return branch({ field: 'lead.score', op: 'gte', value: 50 });
      case 'us':
        return branch({ field: 'lead.country', op: 'eq', value: 'US' });
      case 'eu':
        return branch({ field: 'lead.region', op: 'in', value: ['EU', 'UK', 'EEA'] });
      case 'wait':
        return { ...base, type: 'wait', wait: { kind: 'duration', ms: 1000 }, ...next };
      case 'noop':
        return { ...base, type: 'noop', ...next };
      case 'setCountry':
        return { ...base, type: 'update_lead', set: { country: 'DE' }, ...next };
      default:
        return {
          ...base,
          type: 'send_email',
          to: 'lead',
          purpose: 'marketing',
          subject: 's',
          body: 'b',
          ...next,
        };
    }
  });
  return { schemaVersion: 1, name: 'random', triggers: [{ type: 'manual' }], start: 's0', steps };
}

const GDPR = COMPLIANCE_RULES.find((r) => r.id === 'gdpr.marketing_email_consent') as PathRule;
const territory = new Set(GDPR_TERRITORY);

/** Actions reachable by some walk on which no consent check's true edge follows the last wait and no territory check follows the last country update. */
function bruteForceViolations(workflow: Workflow): Set<string> {
  const byId = new Map(workflow.steps.map((s) => [s.id, s]));
  const violations = new Set<string>();
  // A walk: nodes v0..vk and the edges' `holds` between them.
  const stateOf = (nodes: Step[], holds: (unknown | undefined)[]): string => {
    let lastGuard = -1;
    let lastOutside = -1;
    let lastWait = -1;
    let lastSet = -1;
    holds.forEach((h, i) => {
      // edge i leads from nodes[i] to nodes[i + 1]
      const from = nodes[i] as Step;
      if (from.type === 'wait') lastWait = i;
      if (from.type === 'update_lead') lastSet = i;
      if (h && provesGuard(h as never, GDPR.guards)) lastGuard = i;
      if (h && provesOutside(h as never, territory)) lastOutside = i;
    });
    const guarded = lastGuard >= 0 && lastGuard > lastWait;
    const outside = lastOutside >= 0 && lastOutside > lastSet;
    return `${guarded ? 'g' : '-'}${outside ? 'o' : '-'}`;
  };
  const walk = (nodes: Step[], holds: (unknown | undefined)[], seen: Set<string>): void => {
    const here = nodes[nodes.length - 1] as Step;
    const state = stateOf(nodes, holds);
    const key = `${here.id}/${state}`;
    if (seen.has(key)) return;
    if (here.type === 'send_email' && state === '--') violations.add(here.id);
    seen.add(key);
    for (const e of stepEdges(here)) {
      const to = byId.get(e.to);
      if (to) walk([...nodes, to], [...holds, e.holds], seen);
    }
    seen.delete(key);
  };
  walk([byId.get(workflow.start) as Step], [], new Set());
  return violations;
}

describe('verifier agrees with brute-force path enumeration', () => {
  test('on random graphs with loops, waits, error edges and territory checks', () => {
    let proved = 0;
    let found = 0;
    fc.assert(
      fc.property(arbGraph, ([, nodes]) => {
        const workflow = build(nodes);
        const expected = bruteForceViolations(workflow);
        const verification = verifyWorkflow(workflow, { rules: [GDPR] });
        const actual = new Set(verification.findings.map((f) => f.step));
        assert.deepEqual([...actual].sort(), [...expected].sort());
        proved += verification.proofs.length;
        found += verification.findings.length;
      }),
      { numRuns: 1000, seed: 15 },
    );
    // The generator must produce both outcomes often, or the agreement proves little.
    assert.ok(proved > 50 && found > 150, `proved ${proved}, found ${found}`);
  });

  test('every reported path is a real walk ending unguarded at the action', () => {
    fc.assert(
      fc.property(arbGraph, ([, nodes]) => {
        const workflow = build(nodes);
        const byId = new Map(workflow.steps.map((s) => [s.id, s]));
        for (const f of verifyWorkflow(workflow, { rules: [GDPR] }).findings) {
          const ids = f.path.slice(1);
          assert.equal(ids[0], workflow.start);
          assert.equal(ids[ids.length - 1], f.step);
          for (let i = 1; i < ids.length; i++) {
            const from = byId.get(ids[i - 1] as string) as Step;
            assert.ok(
              stepEdges(from).some((e) => e.to === ids[i]),
              `${ids[i - 1]} → ${ids[i]}`,
            );
          }
        }
      }),
      { numRuns: 200, seed: 16 },
    );
  });
});

describe('dominators', () => {
  test('Cooper–Harvey–Kennedy agrees with "removing d cuts n off from the root"', () => {
    const arb = fc.integer({ min: 1, max: 9 }).chain((n) =>
      fc.array(fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 }), {
        minLength: n,
        maxLength: n,
      }),
    );
    fc.assert(
      fc.property(arb, (succ) => {
        const reach = (removed: number): Set<number> => {
          const seen = new Set<number>();
          const stack = removed === 0 ? [] : [0];
          while (stack.length > 0) {
            const x = stack.pop() as number;
            if (seen.has(x)) continue;
            seen.add(x);
            for (const y of succ[x] ?? []) if (y !== removed) stack.push(y);
          }
          return seen;
        };
        const all = reach(-1);
        const dom = computeDominators(succ, 0);
        for (let d = 0; d < succ.length; d++) {
          const without = reach(d);
          for (let n = 0; n < succ.length; n++) {
            const expected = all.has(n) && (d === n || !without.has(n));
            assert.equal(dom.dominates(d, n), expected, `d=${d} n=${n} succ=${JSON.stringify(succ)}`);
          }
        }
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});

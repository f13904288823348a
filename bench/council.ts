/**
 * bench:council — the router against three baselines on the labelled question set.
 *
 *   node bench/council.ts [--rounds 3] [--samples 5]
 *
 * Every question under test/fixtures/council/questions is answered with the offline model by
 * four strategies: the router's cascade, the full council (every applicable agent, then a
 * critique round), one generalist agent, and self-consistency voting of that generalist
 * (`samples` samples). Reported per strategy: routing precision and recall against the labelled
 * relevant agents, model calls per decision, accuracy against the labelled class, agreement with
 * the full council, and latency per decision (p50/p99 over `rounds` passes, after a warm-up).
 * A second pass of the router with the decision cache shows reuse. Prints a table; writes
 * bench/results/council.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createManualClock } from '../src/core/index.ts';
import {
  type CouncilDecision,
  type CouncilStrategy,
  createCouncil,
  createInMemoryCouncilTools,
  createInMemoryDecisionCache,
  fixtureWorkspace,
  loadQuestionFixtures,
  type QuestionFixture,
  registerCouncilSkills,
  routingScores,
} from '../src/council/index.ts';
import { createModelClient, createSkillRegistry } from '../src/models/index.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, samples: { type: 'string', default: '5' } },
});
const rounds = Math.max(1, Number(values.rounds));
const samples = Math.max(1, Number(values.samples));
const root = join(import.meta.dirname, '..');
const fixtures = await loadQuestionFixtures(join(root, 'test/fixtures/council/questions'));

const skills = createSkillRegistry();
registerCouncilSkills(skills);
const models = createModelClient({ skills });
const tools = createInMemoryCouncilTools(
  Object.fromEntries(fixtures.map((f) => [f.workspaceId, fixtureWorkspace(f)])),
);
const asOf = fixtures[0]?.asOf ?? '2026-11-28';
const clock = createManualClock(Date.parse(`${asOf}T12:00:00Z`));

function councilFor(options: { cache?: boolean } = {}) {
  let n = 0;
  return createCouncil({
    models,
    tools,
    clock,
    ids: () => `dec_${++n}`,
    ...(options.cache ? { cache: createInMemoryDecisionCache({ clock }) } : {}),
  });
}

async function answer(
  council: ReturnType<typeof councilFor>,
  fixture: QuestionFixture,
  strategy: CouncilStrategy,
): Promise<CouncilDecision> {
  const result = await council.ask(fixture.question, { workspaceId: fixture.workspaceId, strategy });
  if (!result.ok) throw new Error(`${fixture.id}: ${result.error.message}`);
  return result.value;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

const STRATEGIES: Array<{ name: string; strategy: CouncilStrategy }> = [
  { name: 'router (cascade)', strategy: { kind: 'cascade' } },
  { name: 'full council', strategy: { kind: 'full' } },
  { name: 'one generalist', strategy: { kind: 'generalist' } },
  { name: `self-consistency k=${samples}`, strategy: { kind: 'self_consistency', samples } },
];

interface Outcome {
  id: string;
  type: string;
  expected: string;
  got: string;
  calls: number;
  tokens: number;
  consulted: string[];
}

const outcomes = new Map<string, Outcome[]>();
const latencies = new Map<string, number[]>();
for (const { name, strategy } of STRATEGIES) {
  const council = councilFor();
  // Warm-up: JIT, zod schemas, the SDK's code paths.
  for (const fixture of fixtures.slice(0, 20)) await answer(council, fixture, strategy);
  const times: number[] = [];
  let list: Outcome[] = [];
  for (let round = 0; round < rounds; round++) {
    list = [];
    for (const fixture of fixtures) {
      const started = performance.now();
      const decision = await answer(council, fixture, strategy);
      times.push(performance.now() - started);
      list.push({
        id: fixture.id,
        type: fixture.question.type as string,
        expected: fixture.expected.class,
        got: decision.decisionClass,
        calls: decision.cost.calls,
        tokens: decision.cost.tokens,
        consulted: [...new Set(decision.agents.map((a) => a.id))],
      });
    }
  }
  outcomes.set(name, list);
  latencies.set(
    name,
    times.sort((a, b) => a - b),
  );
}

const full = new Map((outcomes.get('full council') ?? []).map((o) => [o.id, o]));
const relevant = new Map(fixtures.map((f) => [f.id, f.expected.relevantAgents]));

function summarise(list: Outcome[]) {
  const n = list.length;
  let precision = 0;
  let recall = 0;
  for (const o of list) {
    const s = routingScores(o.consulted, relevant.get(o.id) ?? []);
    precision += s.precision;
    recall += s.recall;
  }
  return {
    questions: n,
    precision: precision / n,
    recall: recall / n,
    callsPerDecision: list.reduce((sum, o) => sum + o.calls, 0) / n,
    tokensPerDecision: list.reduce((sum, o) => sum + o.tokens, 0) / n,
    accuracy: list.filter((o) => o.got === o.expected).length / n,
    agreementWithFull: list.filter((o) => o.got === full.get(o.id)?.got).length / n,
  };
}

const rows = STRATEGIES.map(({ name }) => {
  const list = outcomes.get(name) ?? [];
  const times = latencies.get(name) ?? [];
  return { name, ...summarise(list), p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) };
});

const types = [...new Set(fixtures.map((f) => f.question.type as string))];
const byType = types.map((type) => {
  const entry: Record<string, unknown> = {
    type,
    questions: fixtures.filter((f) => f.question.type === type).length,
  };
  for (const { name } of STRATEGIES) {
    const s = summarise((outcomes.get(name) ?? []).filter((o) => o.type === type));
    entry[name] = {
      accuracy: s.accuracy,
      callsPerDecision: s.callsPerDecision,
      agreementWithFull: s.agreementWithFull,
    };
  }
  return entry;
});

// Reuse: the same questions asked twice with the cache on.
const cached = councilFor({ cache: true });
let cacheHits = 0;
let secondPassCalls = 0;
for (const fixture of fixtures) await answer(cached, fixture, { kind: 'cascade' });
for (const fixture of fixtures) {
  const decision = await answer(cached, fixture, { kind: 'cascade' });
  if (decision.cache.hit) cacheHits++;
  secondPassCalls += decision.cost.calls;
}

const router = rows[0];
const fullRow = rows[1];
const savings = router && fullRow ? 1 - router.callsPerDecision / fullRow.callsPerDecision : 0;
const targets = {
  fewerCallsThanFull: { target: '>= 60%', value: savings, met: savings >= 0.6 },
  agreementWithFull: {
    target: '>= 95%',
    value: router?.agreementWithFull ?? 0,
    met: (router?.agreementWithFull ?? 0) >= 0.95,
  },
  noAccuracyLoss: {
    target: 'router accuracy >= full council accuracy',
    value: (router?.accuracy ?? 0) - (fullRow?.accuracy ?? 0),
    met: (router?.accuracy ?? 0) >= (fullRow?.accuracy ?? 0),
  },
  p99: { target: '< 50 ms', value: router?.p99Ms ?? 0, met: (router?.p99Ms ?? Infinity) < 50 },
};

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
console.log(`\nbench:council — ${fixtures.length} labelled questions, offline model, ${rounds} round(s)\n`);
console.log(
  `${'strategy'.padEnd(24)}${'precision'.padStart(10)}${'recall'.padStart(9)}${'calls/dec'.padStart(11)}${'accuracy'.padStart(10)}${'agree/full'.padStart(12)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}`,
);
for (const row of rows) {
  console.log(
    `${row.name.padEnd(24)}${pct(row.precision).padStart(10)}${pct(row.recall).padStart(9)}${row.callsPerDecision.toFixed(2).padStart(11)}${pct(row.accuracy).padStart(10)}${pct(row.agreementWithFull).padStart(12)}${row.p50Ms.toFixed(2).padStart(9)}${row.p99Ms.toFixed(2).padStart(9)}`,
  );
}
console.log('\nper question type (accuracy · calls/decision):');
for (const entry of byType) {
  const cells = STRATEGIES.map(({ name }) => {
    const s = entry[name] as { accuracy: number; callsPerDecision: number };
    return `${name.split(' ')[0]} ${pct(s.accuracy)} · ${s.callsPerDecision.toFixed(2)}`;
  });
  console.log(
    `  ${String(entry.type).padEnd(20)} n=${String(entry.questions).padEnd(4)} ${cells.join('   ')}`,
  );
}
console.log(`\ncache: second pass ${cacheHits}/${fixtures.length} hits, ${secondPassCalls} model calls`);
console.log(`router vs full council: ${pct(savings)} fewer model calls`);
for (const [name, t] of Object.entries(targets)) {
  const shown = name === 'p99' ? `${t.value.toFixed(2)} ms` : pct(t.value);
  console.log(`  ${t.met ? 'met ' : 'MISS'} ${name}: ${shown} (target ${t.target})`);
}
const misses = (outcomes.get('router (cascade)') ?? []).filter((o) => o.got !== o.expected);
if (misses.length > 0) {
  console.log(
    `\nrouter misses: ${misses.map((o) => `${o.id} (${o.got}, expected ${o.expected})`).join(', ')}`,
  );
}

await mkdir(join(root, 'bench/results'), { recursive: true });
await writeFile(
  join(root, 'bench/results/council.json'),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      questions: fixtures.length,
      rounds,
      samples,
      strategies: rows,
      byType,
      cache: { secondPassHits: cacheHits, secondPassCalls },
      savingsVsFull: savings,
      targets,
      routerMisses: misses,
      fullCouncilMisses: (outcomes.get('full council') ?? []).filter((o) => o.got !== o.expected),
    },
    null,
    2,
  )}\n`,
);
console.log('\nwrote bench/results/council.json');

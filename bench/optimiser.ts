/**
 * npm run bench:optimiser — the closed-loop simulator (docs/optimiser.md). Replays the
 * bank-marketing file at 10 leads per simulated minute through the frozen scenarios and reports,
 * per scenario, detection delay, false alarms per week, lost conversions against the oracle and
 * the 6-hour batch, and automatic changes rolled back: first with the anchor-based settings
 * (the first run), then with settings tuned on tuning seeds the report never uses.
 *
 * Options: --runs N (runs per fault scenario; default the frozen count), --null-weeks N,
 * --tuning-weeks N (default 6). Results go to bench/results/optimiser.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runScenarioSet } from '../src/optimiser/simulator/bench-runner.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    'null-weeks': { type: 'string' },
    'tuning-weeks': { type: 'string', default: '6' },
    data: { type: 'string' },
  },
});
// ../shared/data relative to the repository; a worktree one level deeper finds it one more level up.
const dataPath =
  values.data ??
  [join(here, '..', '..', 'shared'), join(here, '..', '..', '..', 'shared')]
    .map((dir) => join(dir, 'data', 'bank-marketing', 'bank-additional-full.csv'))
    .find((path) => existsSync(path));
if (!dataPath)
  throw new Error('bank-additional-full.csv not found under ../shared/data/bank-marketing; pass --data');
const started = Date.now();
const report = runScenarioSet(readFileSync(dataPath, 'utf8'), {
  runs: values.runs ? Number(values.runs) : undefined,
  nullWeeks: values['null-weeks'] ? Number(values['null-weeks']) : undefined,
  tuningWeeks: Number(values['tuning-weeks']),
  log: (line) => console.log(line),
});
const out = {
  ...report,
  measuredAt: new Date().toISOString(),
  seconds: Math.round((Date.now() - started) / 1000),
  note: 'measured on a shared 2-core machine while other work ran; figures are simulated minutes, not wall time',
};
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'optimiser.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote bench/results/optimiser.json in ${out.seconds} s`);

import { LeadloopError } from '../../core/index.ts';

/**
 * The simulator's lead material: rows of the UCI bank-marketing file (Moro et al. 2014), each a
 * contacted customer with a yes/no outcome. Rows become leads: `job` is the industry segment, `y`
 * whether the lead would convert once qualified and followed up. A naive-Bayes score over the
 * categorical columns, fitted on every fifth row (held out of the replay), plays the champion.
 * `duration` is left out: it is known only after the call (the data set's own warning).
 */
export interface BankRow {
  industry: string;
  /** The channel the bank reached the customer on (`contact`): the simulator's playbook segment. */
  playbook?: string;
  features: readonly string[];
  converts: boolean;
}

export interface BankMaterial {
  /** Rows the simulator replays (four in five). */
  replay: readonly { industry: string; playbook?: string; score: number; converts: boolean }[];
  /** Champion scores of the held-out training rows: the PSI reference. */
  trainingScores: readonly number[];
}

const FEATURE_COLUMNS = [
  'job',
  'marital',
  'education',
  'default',
  'housing',
  'loan',
  'contact',
  'month',
  'day_of_week',
  'poutcome',
] as const;

/** Parses the semicolon-separated, quoted CSV of the UCI file. */
export function parseBankCsv(text: string): BankRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(';').map(unquote);
  const at = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new LeadloopError('validation_failed', `bank-marketing CSV has no column ${name}`);
    return i;
  };
  const featureIdx = FEATURE_COLUMNS.map(at);
  const jobIdx = at('job');
  const contactIdx = at('contact');
  const yIdx = at('y');
  return lines.slice(1).map((line) => {
    const cells = line.split(';').map(unquote);
    return {
      industry: cells[jobIdx] ?? 'unknown',
      playbook: cells[contactIdx] ?? 'unknown',
      features: featureIdx.map((i, k) => `${FEATURE_COLUMNS[k]}=${cells[i] ?? ''}`),
      converts: cells[yIdx] === 'yes',
    };
  });
}

/** Fits the naive-Bayes champion on every fifth row and scores the rest. */
export function prepareBankMaterial(rows: readonly BankRow[]): BankMaterial {
  const training = rows.filter((_, i) => i % 5 === 0);
  const replayRows = rows.filter((_, i) => i % 5 !== 0);
  const counts = new Map<string, [number, number]>();
  let positives = 0;
  for (const row of training) {
    if (row.converts) positives += 1;
    for (const f of row.features) {
      const c = counts.get(f) ?? [0, 0];
      c[row.converts ? 1 : 0] += 1;
      counts.set(f, c);
    }
  }
  const negatives = training.length - positives;
  const prior = Math.log(positives / negatives);
  const score = (row: BankRow) => {
    let logit = prior;
    for (const f of row.features) {
      const [no, yes] = counts.get(f) ?? [0, 0];
      logit += Math.log((yes + 1) / (positives + 2)) - Math.log((no + 1) / (negatives + 2));
    }
    return 1 / (1 + Math.exp(-logit));
  };
  return {
    replay: replayRows.map((r) => ({
      industry: r.industry,
      ...(r.playbook ? { playbook: r.playbook } : {}),
      score: score(r),
      converts: r.converts,
    })),
    trainingScores: training.map(score),
  };
}

function unquote(cell: string): string {
  return cell.replace(/^"|"$/g, '');
}

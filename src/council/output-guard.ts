import type { AgentRunRecord } from './decision-record.ts';
import { ANSWER_SCHEMAS, type Answer, type Question } from './question-schemas.ts';
import { type GuardFinding, inspectAnswer } from './safety.ts';

/**
 * The output guard applied to a decision record before it leaves the council: links, e-mail
 * addresses, foreign ids, instruction-like text and pieces of system prompts are replaced wherever
 * a model wrote them (the answer, each agent's proposal, the dissent reasons).
 */

const SAFE_BODY: Record<string, string> = {
  route_to_rep: 'Thank you for your interest. A specialist from our team will contact you shortly.',
  start_nurture: 'Thank you for your interest. We will send you a few resources that may help.',
  ask_for_info: 'Thank you for getting in touch. Could you tell us a little more about your plans?',
  disqualify: 'Thank you for your interest. Our offer is probably not the right fit at the moment.',
};
const REMOVED = '[removed by the output guard]';

/** The value at a JSON-pointer-like path (`''` is the root). */
function getAt(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const key of path.split('/').slice(1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Sets the string at a JSON-pointer-like path (`/a/0/b`) of a plain object. */
function replaceAt(root: unknown, path: string, value: unknown): void {
  const keys = path.split('/').slice(1);
  let node: unknown = root;
  for (const key of keys.slice(0, -1)) node = (node as Record<string, unknown>)[key];
  const last = keys.at(-1);
  if (last !== undefined && typeof node === 'object' && node !== null)
    (node as Record<string, unknown>)[last] = value;
}

/** Replaces every flagged string of a value; a drafted message falls back to a neutral template. */
function scrub<T>(value: T, findings: readonly GuardFinding[]): { value: T; replaced: string[] } {
  const paths = [...new Set(findings.map((f) => f.path))];
  if (paths.length === 0) return { value, replaced: [] };
  const copy = structuredClone(value);
  for (const path of paths) {
    if (path.endsWith('/message/body')) {
      const owner = getAt(copy, path.slice(0, -'/message/body'.length)) as { action?: unknown } | undefined;
      const action = typeof owner?.action === 'string' ? owner.action : '';
      replaceAt(copy, path, SAFE_BODY[action] ?? REMOVED);
    } else if (path.endsWith('/message/subject')) replaceAt(copy, path, null);
    else replaceAt(copy, path, REMOVED);
  }
  return { value: copy, replaced: paths };
}

/**
 * The output guard over everything model-made in the record: the answer (re-validated; a broken
 * answer keeps its original only if scrubbing made it invalid, which the schemas' minimums make
 * unlikely), every agent's proposal, and the dissent reasons.
 */
export function guardRecord(
  type: Question['type'],
  synthesis: { output: Answer; dissent: Array<{ agentId: string; decisionClass: string; reason: string }> },
  runs: readonly AgentRunRecord[],
  allowed: ReadonlySet<string>,
  fragments: readonly string[],
) {
  const outputFindings = inspectAnswer(synthesis.output, allowed, fragments);
  const output = scrub(synthesis.output, outputFindings);
  const parsed = ANSWER_SCHEMAS[type].safeParse(output.value);
  const safeRuns = runs.map((run) => {
    const findings = inspectAnswer(run.proposal, allowed, fragments);
    return findings.length === 0 ? run : { ...run, proposal: scrub(run.proposal, findings).value };
  });
  const dissentFindings = inspectAnswer(synthesis.dissent, allowed, fragments);
  const runFindings = runs.flatMap((run, index) =>
    inspectAnswer(run.proposal, allowed, fragments).map((f) => ({
      ...f,
      path: `/runs/${index}/proposal${f.path}`,
    })),
  );
  return {
    output: (parsed.success ? parsed.data : output.value) as Answer,
    dissent: scrub(synthesis.dissent, dissentFindings).value,
    runs: safeRuns,
    findings: [
      ...outputFindings.map((f) => ({ ...f, path: `/output${f.path}` })),
      ...runFindings,
      ...dissentFindings.map((f) => ({ ...f, path: `/dissent${f.path}` })),
    ],
    replacedInOutput: output.replaced.length,
  };
}

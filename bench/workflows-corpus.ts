/**
 * npm run bench:workflows:corpus (also run by bench:workflows) — two offline measurements:
 * 1. n8n corpus: the public workflows in ../shared/data/n8n-workflows (N8N_CORPUS overrides):
 *    every file imported without a crash, per node type the share mapped (mapped or approximated),
 *    the share of workflows fully mapped, export → import round trips stable, and, for the
 *    lead-related workflows, every node type in at least 5% of them and whether it is mapped.
 * 2. Generation: every goal of test/fixtures/workflow-goals (tuned on) and
 *    test/fixtures/workflow-goals-holdout (never tuned on) through the offline generator: results
 *    that validate, verify, and meet all their fixture properties.
 * Writes bench/results/workflows-corpus.json.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../src/core/index.ts';
import { parseWorkflow } from '../src/workflows/dsl/index.ts';
import { type GoalFixture, generateWorkflow, unmetProperties } from '../src/workflows/generator/index.ts';
import { exportN8nWorkflow, importN8nFilesDetailed, importN8nWorkflow } from '../src/workflows/n8n/index.ts';
import { printTable, writeResult } from './support.ts';

const ROOT = join(import.meta.dirname, '..');
const LEAD_RELATED =
  /lead|crm|hubspot|salesforce|pipedrive|zoho|activecampaign|mailchimp|typeform|calendly|contact|sales|prospect|outreach|hunter|clearbit|lemlist|apollo|linkedin|form|webinar|newsletter|onboard/i;

async function corpusBench(dir: string) {
  const started = performance.now();
  const { summary, results } = await importN8nFilesDetailed([dir]);
  const importMs = performance.now() - started;
  const perType = new Map<
    string,
    { nodes: number; mapped: number; approximated: number; workflows: number; leadWorkflows: number }
  >();
  let roundTripStable = 0;
  let embedded = 0;
  let leadWorkflows = 0;
  let leadFullyMapped = 0;
  let leadNodes = 0;
  let leadMappedNodes = 0;
  for (const r of results) {
    if (!r.workflow || !r.report) continue;
    const nodeTypes = r.report.nodes.filter((n) => n.outcome !== 'note');
    const lead = LEAD_RELATED.test(r.file) || nodeTypes.some((n) => LEAD_RELATED.test(n.type));
    if (lead) leadWorkflows += 1;
    if (lead && r.report.fullyMapped) leadFullyMapped += 1;
    if (lead) {
      leadNodes += nodeTypes.length;
      leadMappedNodes += nodeTypes.filter((n) => n.outcome !== 'unmapped').length;
    }
    const seen = new Set<string>();
    for (const n of nodeTypes) {
      const row = perType.get(n.type) ?? {
        nodes: 0,
        mapped: 0,
        approximated: 0,
        workflows: 0,
        leadWorkflows: 0,
      };
      row.nodes += 1;
      if (n.outcome !== 'unmapped') row.mapped += 1;
      if (n.outcome === 'approximated') row.approximated += 1;
      if (!seen.has(n.type)) {
        seen.add(n.type);
        row.workflows += 1;
        if (lead) row.leadWorkflows += 1;
      }
      perType.set(n.type, row);
    }
    const exported = exportN8nWorkflow(r.workflow);
    embedded += exported.report.embedded.length;
    const back = importN8nWorkflow(JSON.parse(JSON.stringify(exported.workflow)));
    if (back.ok) {
      const { ui: _a, ...a } = r.workflow;
      const { ui: _b, ...b } = back.workflow;
      if (canonicalJson(a) === canonicalJson(b) && parseWorkflow(back.workflow).ok) roundTripStable += 1;
    }
  }
  const share = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 1000) / 1000);
  const types = [...perType.entries()]
    .map(([type, r]) => ({
      type,
      ...r,
      mappedShare: share(r.mapped, r.nodes),
      leadShare: share(r.leadWorkflows, leadWorkflows),
    }))
    .sort((x, y) => y.nodes - x.nodes);
  const leadCommon = types.filter((t) => t.leadShare >= 0.05).sort((x, y) => y.leadShare - x.leadShare);
  return {
    corpus: { dir: 'shared/data/n8n-workflows/workflows', files: summary.files },
    import: {
      ...summary,
      failed: summary.failed.length,
      failures: summary.failed.slice(0, 20),
      workflowsFullyMappedShare: share(summary.fullyMapped, summary.parsed),
      nodesMappedShare: share(summary.mappedNodes, summary.nodes),
      nodesMappedExactlyShare: share(summary.mappedNodes - summary.approximatedNodes, summary.nodes),
      seconds: Math.round(importMs) / 1000,
    },
    roundTrip: {
      stable: roundTripStable,
      of: summary.parsed,
      share: share(roundTripStable, summary.parsed),
      nodesCarryingLeadloopNotes: embedded,
    },
    leadRelated: {
      workflows: leadWorkflows,
      fullyMapped: leadFullyMapped,
      fullyMappedShare: share(leadFullyMapped, leadWorkflows),
      nodes: leadNodes,
      mappedNodes: leadMappedNodes,
      nodesMappedShare: share(leadMappedNodes, leadNodes),
      nodeTypesInAtLeast5Percent: leadCommon.map((t) => ({
        type: t.type,
        workflowShare: t.leadShare,
        mappedShare: t.mappedShare,
      })),
      unmappedCommonTypes: leadCommon.filter((t) => t.mappedShare < 0.5).map((t) => t.type),
    },
    nodeTypes: types.slice(0, 60).map(({ type, nodes, workflows, mappedShare, approximated }) => ({
      type,
      nodes,
      workflows,
      mappedShare,
      approximated,
    })),
  };
}

async function generationBench(dir: string) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  let met = 0;
  let validated = 0;
  let verified = 0;
  let refused = 0;
  const misses: { file: string; unmet: string[] }[] = [];
  const started = performance.now();
  for (const file of files) {
    const fixture = JSON.parse(readFileSync(join(dir, file), 'utf8')) as GoalFixture;
    const result = await generateWorkflow({ goal: fixture.goal, constraints: fixture.constraints ?? {} });
    if (result.ok) {
      if (parseWorkflow(result.value.workflow).ok) validated += 1;
      if (result.value.verification.ok) verified += 1;
    } else refused += 1;
    const unmet = unmetProperties(result, fixture.expect);
    if (unmet.length === 0) met += 1;
    else misses.push({ file, unmet });
  }
  const ms = performance.now() - started;
  return {
    goals: files.length,
    propertiesMet: met,
    share: Math.round((met / files.length) * 1000) / 1000,
    validated,
    verified,
    refused,
    msPerGoal: Math.round((ms / files.length) * 10) / 10,
    misses,
  };
}

/** Runs both benches, prints a summary and writes bench/results/workflows-corpus.json. */
export async function runCorpusBench(): Promise<Record<string, unknown>> {
  const dir = process.env.N8N_CORPUS ?? join(ROOT, '../shared/data/n8n-workflows/workflows');
  let corpus: Awaited<ReturnType<typeof corpusBench>> | { skipped: string };
  try {
    readdirSync(dir);
    corpus = await corpusBench(dir);
  } catch (error) {
    corpus = { skipped: `no n8n corpus at ${dir} (${(error as Error).message}); set N8N_CORPUS` };
  }
  const generation = {
    fixtures: await generationBench(join(ROOT, 'test/fixtures/workflow-goals')),
    holdout: await generationBench(join(ROOT, 'test/fixtures/workflow-goals-holdout')),
    model: 'offline (play library)',
  };
  const result = { corpus, generation };
  if ('import' in corpus) {
    printTable([
      { measure: 'n8n files', value: corpus.import.files },
      { measure: 'converted without crash', value: corpus.import.parsed },
      {
        measure: 'workflows fully mapped',
        value: `${corpus.import.fullyMapped} (${(corpus.import.workflowsFullyMappedShare * 100).toFixed(1)}%)`,
      },
      {
        measure: 'nodes mapped or approximated',
        value: `${corpus.import.mappedNodes}/${corpus.import.nodes} (${(corpus.import.nodesMappedShare * 100).toFixed(1)}%)`,
      },
      {
        measure: 'nodes mapped exactly',
        value: `${corpus.import.mappedNodes - corpus.import.approximatedNodes}/${corpus.import.nodes}`,
      },
      { measure: 'export → import stable', value: `${corpus.roundTrip.stable}/${corpus.roundTrip.of}` },
      { measure: 'lead-related workflows', value: corpus.leadRelated.workflows },
      {
        measure: 'lead-related fully mapped',
        value: `${corpus.leadRelated.fullyMapped} (${(corpus.leadRelated.fullyMappedShare * 100).toFixed(1)}%)`,
      },
      {
        measure: 'lead-related nodes mapped or approximated',
        value: `${corpus.leadRelated.mappedNodes}/${corpus.leadRelated.nodes} (${(corpus.leadRelated.nodesMappedShare * 100).toFixed(1)}%)`,
      },
      {
        measure: 'common lead node types unmapped',
        value: corpus.leadRelated.unmappedCommonTypes.join(', ') || 'none',
      },
    ]);
  } else console.log(corpus.skipped);
  printTable(
    (['fixtures', 'holdout'] as const).map((k) => ({
      goals: k,
      n: generation[k].goals,
      met: generation[k].propertiesMet,
      share: generation[k].share,
      verified: generation[k].verified,
      refused: generation[k].refused,
      msPerGoal: generation[k].msPerGoal,
    })),
  );
  console.log(`written ${writeResult('workflows-corpus', result)}`);
  return result;
}

if (import.meta.main) await runCorpusBench();

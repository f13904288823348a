import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Workflow } from '../dsl/index.ts';
import { type ImportReport, importN8nWorkflow, isN8nWorkflow } from './import.ts';

/** One workflow found in the files, converted or not. */
export interface ImportedFile {
  file: string;
  /** Position in a file holding an array of workflows (n8n CLI export). */
  index?: number;
  workflow?: Workflow;
  report?: ImportReport;
  /** Why the file or workflow was not converted. */
  error?: string;
}

/** The import summary the CLI prints (`--json`) and the corpus bench reports. */
export interface ImportSummary {
  /** JSON files read. */
  files: number;
  /** Workflows converted into valid Leadloop workflows. */
  parsed: number;
  /** Converted workflows whose every node was mapped or approximated. */
  fullyMapped: number;
  /** Nodes in converted workflows (sticky notes not counted). */
  nodes: number;
  /** Of those, mapped or approximated. */
  mappedNodes: number;
  /** Of those, approximated. */
  approximatedNodes: number;
  /** Unmapped nodes by n8n type. */
  unmapped: Record<string, number>;
  /** Files or workflows that could not be converted, with the reason. */
  failed: { file: string; reason: string }[];
}

async function listJsonFiles(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...(await listJsonFiles(full)));
    else if (entry.name.toLowerCase().endsWith('.json')) out.push(full);
  }
  return out;
}

/** Reads and converts every n8n workflow in the given files and folders (recursively); never throws on bad content. */
export async function importN8nFilesDetailed(
  paths: readonly string[],
  options: { timezone?: string } = {},
): Promise<{ summary: ImportSummary; results: ImportedFile[] }> {
  const summary: ImportSummary = {
    files: 0,
    parsed: 0,
    fullyMapped: 0,
    nodes: 0,
    mappedNodes: 0,
    approximatedNodes: 0,
    unmapped: {},
    failed: [],
  };
  const results: ImportedFile[] = [];
  for (const path of paths) {
    let files: string[];
    try {
      files = await listJsonFiles(path);
    } catch (error) {
      summary.failed.push({ file: path, reason: `cannot read: ${(error as Error).message}` });
      continue;
    }
    for (const file of files) {
      summary.files += 1;
      let json: unknown;
      try {
        json = JSON.parse(await readFile(file, 'utf8'));
      } catch (error) {
        summary.failed.push({ file, reason: `not JSON: ${(error as Error).message}` });
        results.push({ file, error: 'not JSON' });
        continue;
      }
      const items = Array.isArray(json) && json.some(isN8nWorkflow) ? json : [json];
      items.forEach((item, i) => {
        const index = items.length > 1 ? i : undefined;
        const result = importN8nWorkflow(item, options);
        if (!result.ok) {
          summary.failed.push({ file: index === undefined ? file : `${file}#${i}`, reason: result.reason });
          results.push({
            file,
            ...(index !== undefined ? { index } : {}),
            error: result.reason,
            ...(result.report ? { report: result.report } : {}),
          });
          return;
        }
        summary.parsed += 1;
        if (result.report.fullyMapped) summary.fullyMapped += 1;
        for (const n of result.report.nodes) {
          if (n.outcome === 'note') continue;
          summary.nodes += 1;
          if (n.outcome === 'unmapped') summary.unmapped[n.type] = (summary.unmapped[n.type] ?? 0) + 1;
          else summary.mappedNodes += 1;
          if (n.outcome === 'approximated') summary.approximatedNodes += 1;
        }
        results.push({
          file,
          ...(index !== undefined ? { index } : {}),
          workflow: result.workflow,
          report: result.report,
        });
      });
    }
  }
  return { summary, results };
}

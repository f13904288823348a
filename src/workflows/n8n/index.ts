/**
 * n8n interchange: import n8n workflow JSON into the DSL with a per-node report (mapped,
 * approximated, unmapped → opaque steps that never run), import whole files and folders with a
 * summary, and export a Leadloop workflow as n8n JSON its importers accept.
 */
export type { ExportReport, N8nWorkflowJson } from './export.ts';
export { exportN8nWorkflow } from './export.ts';
export type { ImportedFile, ImportSummary } from './files.ts';
export { importN8nFiles, importN8nFilesDetailed } from './files.ts';
export type { ImportReport, ImportResult, NodeReport } from './import.ts';
export { importN8nWorkflow, isN8nWorkflow } from './import.ts';
export { N8N_MAPPERS } from './node-mappers.ts';

/**
 * n8n interchange: import n8n workflow JSON into the DSL with a per-node report (mapped,
 * approximated, unmapped → opaque steps that never run), import whole files and folders with a
 * summary, and export a Leadloop workflow as n8n JSON its importers accept.
 */

export { exportN8nWorkflow } from './export.ts';

export { importN8nFilesDetailed } from './files.ts';

export { importN8nWorkflow, isN8nWorkflow } from './import.ts';

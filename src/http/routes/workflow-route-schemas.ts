import { z } from 'zod';
import { LeadloopError } from '../../core/index.ts';
import type { HttpDeps } from '../deps.ts';
import { idParam } from '../schemas.ts';

// What the workflow routes share: the workflow id and document schemas, the wiring check.

export const workflowId = idParam('wf');
export const documentBody = z
  .record(z.string(), z.unknown())
  .describe('A workflow document; its schema is GET /v1/workflows/schema.');

const NOT_WIRED = () => new LeadloopError('unavailable', 'workflows are not wired in this process');

/** The process's workflows, or `unavailable` where they are not wired. */
export function workflowsOf(deps: HttpDeps): NonNullable<HttpDeps['workflows']> {
  if (!deps.workflows) throw NOT_WIRED();
  return deps.workflows;
}

// Kept apart from workflow-fixtures.ts, so the SIGKILL tests' support (workflow-crash.ts) can use it
// without loading a runtime.

/** One step of a test workflow, as the DSL takes it (the service validates the rest). */
type StepDefinition = { id: string } & Record<string, unknown>;

/**
 * A schema-version-1 workflow definition that starts at its first step, on a manual trigger unless
 * `trigger` says otherwise: the envelope every test workflow carries around its steps.
 */
export function defineWorkflow(
  name: string,
  steps: StepDefinition[],
  trigger: Record<string, unknown> = { type: 'manual' },
) {
  return { schemaVersion: 1, name, triggers: [trigger], start: steps[0]?.id ?? '', steps };
}

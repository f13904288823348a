import type { Step } from '../dsl/index.ts';

/**
 * n8n's Split Out turns one item into many and every node after it runs once per item; an
 * Aggregate after them gathers the items back into one. A Leadloop run carries one item, so the
 * importer turns Split Out into a loop over the list and closes its body here: the steps where an
 * item's path ends go back to the loop for the next item, and an Aggregate reached from the body
 * becomes the body's last step (a `collect` per item) whose own next step is where the loop
 * continues once every item is done.
 */

type StepMap = Map<string, Step>;

/** Targets a step can go to next (every edge but the error edge). */
function targets(step: Step): (string | undefined)[] {
  switch (step.type) {
    case 'condition':
      return [step.onTrue, step.onFalse];
    case 'switch':
      return [...step.cases.map((c) => c.next), step.default];
    case 'ask_council':
      return [...step.branches.map((b) => b.next), step.default];
    case 'split':
      return step.variants.map((v) => v.next);
    case 'loop':
      return [step.next];
    case 'wait':
      return [step.next, step.onTimeout];
    case 'opaque':
      return [step.next, ...(step.outputs ?? []).map((o) => o ?? undefined)];
    default:
      return [(step as { next?: string }).next];
  }
}

/** Points the edges of `step` that end the run at `to`. */
function endAt(step: Step, to: string): void {
  switch (step.type) {
    case 'condition':
      step.onTrue ??= to;
      step.onFalse ??= to;
      return;
    case 'switch':
      for (const c of step.cases) c.next ??= to;
      step.default ??= to;
      return;
    case 'ask_council':
      for (const b of step.branches) b.next ??= to;
      step.default ??= to;
      return;
    case 'split':
      for (const v of step.variants) v.next ??= to;
      return;
    case 'loop':
      step.next ??= to;
      return;
    default:
      (step as { next?: string }).next ??= to;
  }
}

/**
 * A Google Sheets read or an Airtable search passes one item per row on in n8n; the `table_row`
 * lookup keeps the rows in `vars.<saveAs>`, so a loop over them is put between the lookup and the
 * nodes after it (no row: the run ends, as n8n runs nothing after a read that found none).
 */
function loopOverRows(steps: StepMap, newId: (base: string) => string, notes: string[]): void {
  for (const s of [...steps.values()]) {
    if (s.type !== 'table_row' || s.operation !== 'lookup' || !s.saveAs || !s.next) continue;
    const over = `vars.${s.saveAs}`;
    const after = steps.get(s.next);
    if (after?.type === 'loop' && after.over === over) continue;
    const id = newId(`${s.id}-each`);
    steps.set(id, { id, type: 'loop', over, spread: true, as: 'row', maxIterations: 100, body: s.next });
    s.next = id;
    notes.push(`the steps after "${s.id}" run once per row found, through the loop "${id}"`);
  }
}

/** Closes the body of every item loop (a loop with `over`) and fills whole-item `collect` references. */
export function closeItemLoops(steps: StepMap, notes: string[], newId: (base: string) => string): void {
  loopOverRows(steps, newId, notes);
  for (const loop of steps.values()) {
    if (loop.type !== 'loop' || loop.over === undefined || loop.body === '') continue;
    const inBody = new Set<string>();
    const queue = [loop.body];
    let collector: Extract<Step, { type: 'collect' }> | undefined;
    while (queue.length > 0) {
      const id = queue.shift() as string;
      if (id === loop.id || inBody.has(id)) continue;
      const s = steps.get(id);
      if (!s) continue;
      if (s.type === 'collect' && s.loop === undefined) {
        collector ??= s;
        if (collector === s) continue;
      }
      inBody.add(id);
      for (const to of targets(s)) if (to) queue.push(to);
    }
    if (collector) {
      const after = collector.next;
      collector.loop = loop.id;
      collector.next = loop.id;
      for (const [name, ref] of Object.entries(collector.append))
        if (ref === '') collector.append[name] = `loop.${loop.id}.item`;
      if (after && loop.next === undefined) loop.next = after;
      notes.push(
        `"${collector.id}" gathers one value per item of the loop "${loop.id}"; the run goes on at "${after ?? 'the end'}"`,
      );
    }
    // Every path of the body that ends (without reaching the Aggregate) takes the next item.
    for (const id of inBody) {
      const s = steps.get(id) as Step;
      if (targets(s).some((t) => t === undefined)) endAt(s, loop.id);
    }
  }
  for (const s of steps.values()) {
    if (s.type !== 'collect') continue;
    for (const [name, ref] of Object.entries(s.append)) {
      if (ref !== '') continue;
      delete s.append[name];
      notes.push(`"${s.id}" aggregates whole items outside a Split Out loop; vars.${name} is left out`);
    }
    if (Object.keys(s.append).length === 0) {
      const { id, name, next } = s;
      steps.set(id, { id, type: 'noop', ...(name ? { name } : {}), ...(next ? { next } : {}) });
    }
  }
}

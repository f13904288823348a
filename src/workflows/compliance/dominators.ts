/**
 * Dominators by Cooper, Harvey and Kennedy's iterative algorithm ("A Simple, Fast Dominance
 * Algorithm", 2001): number the nodes in reverse postorder from the root, then repeat
 * `idom(b) = intersect(processed predecessors of b)` until nothing changes. Handles cycles (loops)
 * and converges in a few passes on the reducible graphs the DSL produces.
 */

export interface DominatorTree {
  /** Immediate dominator of each node reachable from the root (the root maps to itself). */
  readonly idom: ReadonlyMap<number, number>;
  /** Whether `d` dominates `n` (every path from the root to `n` passes through `d`); false if `n` is unreachable. */
  dominates(d: number, n: number): boolean;
}

/** `succ[i]` lists the successors of node `i`; nodes are `0 … succ.length - 1`. */
export function computeDominators(succ: readonly (readonly number[])[], root: number): DominatorTree {
  const order: number[] = [];
  const seen = new Set<number>([root]);
  // Iterative DFS for postorder (workflows have at most a few thousand nodes, but avoid recursion limits).
  const stack: { node: number; next: number }[] = [{ node: root, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { node: number; next: number };
    const children = succ[top.node] ?? [];
    if (top.next < children.length) {
      const child = children[top.next] as number;
      top.next += 1;
      if (!seen.has(child)) {
        seen.add(child);
        stack.push({ node: child, next: 0 });
      }
    } else {
      order.push(top.node);
      stack.pop();
    }
  }
  const rpo = order.reverse();
  const index = new Map<number, number>(rpo.map((n, i) => [n, i]));
  const preds = new Map<number, number[]>();
  for (const n of rpo) {
    for (const s of succ[n] ?? []) {
      if (!index.has(s)) continue;
      const list = preds.get(s) ?? [];
      list.push(n);
      preds.set(s, list);
    }
  }
  const idom = new Map<number, number>([[root, root]]);
  const intersect = (a: number, b: number): number => {
    let x = a;
    let y = b;
    while (x !== y) {
      while ((index.get(x) as number) > (index.get(y) as number)) x = idom.get(x) as number;
      while ((index.get(y) as number) > (index.get(x) as number)) y = idom.get(y) as number;
    }
    return x;
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (const b of rpo) {
      if (b === root) continue;
      let candidate: number | undefined;
      for (const p of preds.get(b) ?? []) {
        if (!idom.has(p)) continue;
        candidate = candidate === undefined ? p : intersect(p, candidate);
      }
      if (candidate !== undefined && idom.get(b) !== candidate) {
        idom.set(b, candidate);
        changed = true;
      }
    }
  }
  return {
    idom,
    dominates(d: number, n: number): boolean {
      if (!idom.has(n)) return false;
      let x = n;
      for (;;) {
        if (x === d) return true;
        const up = idom.get(x) as number;
        if (up === x) return false;
        x = up;
      }
    },
  };
}

import { type Comparison, countriesOfRegion, type Predicate, REGIONS, type Region } from '../dsl/index.ts';
import type { GuardAtom } from './rules.ts';

/**
 * Sound, incomplete implication between predicates: "when this edge is taken, the rule's guard
 * holds" and "when this edge is taken, the lead is outside the rule's territory". A `true` is a
 * proof; a `false` only means no proof was found (the verifier then reports a finding).
 */

/** A predicate in negation normal form: negations only on atoms. */
type Nnf =
  | { kind: 'atom'; atom: Predicate; negated: boolean }
  | { kind: 'and'; items: Nnf[] }
  | { kind: 'or'; items: Nnf[] };

const FLIP: Partial<Record<Comparison['op'], Comparison['op']>> = {
  eq: 'neq',
  neq: 'eq',
  in: 'not_in',
  not_in: 'in',
  exists: 'not_exists',
  not_exists: 'exists',
  contains: 'not_contains',
  not_contains: 'contains',
};

function toNnf(p: Predicate, negated = false): Nnf {
  if ('all' in p) return { kind: negated ? 'or' : 'and', items: p.all.map((q) => toNnf(q, negated)) };
  if ('any' in p) return { kind: negated ? 'and' : 'or', items: p.any.map((q) => toNnf(q, negated)) };
  if ('not' in p) return toNnf(p.not, !negated);
  if (negated && 'field' in p) {
    const flipped = FLIP[p.op];
    if (flipped) return { kind: 'atom', atom: { ...p, op: flipped }, negated: false };
  }
  return { kind: 'atom', atom: p, negated };
}

/** Does `p` being true prove `test` for some atom? (conjunction: one item suffices; disjunction: every item must.) */
function proves(p: Nnf, test: (atom: Predicate) => boolean): boolean {
  switch (p.kind) {
    case 'atom':
      return !p.negated && test(p.atom);
    case 'and':
      return p.items.some((q) => proves(q, test));
    case 'or':
      return p.items.length > 0 && p.items.every((q) => proves(q, test));
  }
}

function atomSatisfiesGuard(atom: Predicate, guard: GuardAtom): boolean {
  if ('consent' in guard && 'consent' in atom) {
    // The check passes only when one of its purposes is granted: each must be acceptable to the rule.
    const accepted = new Set(guard.consent.purposes);
    if (!atom.consent.purposes.every((p) => accepted.has(p))) return false;
    return !guard.consent.written || atom.consent.written === true;
  }
  if ('privacy' in guard && 'privacy' in atom) return guard.privacy === atom.privacy;
  return false;
}

/** True when `p` holding proves one of `guards`. */
export function provesGuard(p: Predicate, guards: readonly GuardAtom[]): boolean {
  const nnf = toNnf(p);
  return proves(nnf, (atom) => guards.some((g) => atomSatisfiesGuard(atom, g)));
}

function normCountry(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const code = value.trim().toUpperCase();
  return code === 'UK' ? 'GB' : code;
}

function regionCountries(value: unknown): readonly string[] | 'open' | null {
  if (typeof value !== 'string') return null;
  const region = value.trim().toUpperCase() as Region;
  if (!REGIONS.includes(region)) return null;
  return countriesOfRegion(region) ?? 'open';
}

function listOf(value: Comparison['value']): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** True when the comparison holding proves the lead's country is not in `territory`. */
function atomOutside(atom: Predicate, territory: ReadonlySet<string>): boolean {
  if (!('field' in atom)) return false;
  if (atom.field === 'lead.country') {
    const countries = listOf(atom.value).map(normCountry);
    if (countries.some((c) => c === null)) return false;
    switch (atom.op) {
      case 'eq':
      case 'in':
        return countries.every((c) => !territory.has(c as string));
      case 'neq':
      case 'not_in': {
        const excluded = new Set(countries as string[]);
        return [...territory].every((c) => excluded.has(c));
      }
      default:
        return false;
    }
  }
  if (atom.field === 'lead.region') {
    const sets = listOf(atom.value).map(regionCountries);
    if (sets.some((s) => s === null)) return false;
    switch (atom.op) {
      case 'eq':
      case 'in':
        // `OTHER` holds only countries outside every named region, so it is disjoint from any territory.
        return sets.every((s) => s === 'open' || s?.every((c) => !territory.has(c)));
      case 'neq':
      case 'not_in': {
        const excluded = new Set(sets.flatMap((s) => (s === 'open' || s === null ? [] : s)));
        return [...territory].every((c) => excluded.has(c));
      }
      default:
        return false;
    }
  }
  return false;
}

/** True when `p` holding proves the lead's country is outside `territory` (a known country). */
export function provesOutside(p: Predicate, territory: ReadonlySet<string>): boolean {
  return proves(toNnf(p), (atom) => atomOutside(atom, territory));
}

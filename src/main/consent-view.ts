import type { ConsentState } from '../privacy/index.ts';

/** Ledger purposes and the older names that workflow conditions and the council's rules still use for them. */
const LEGACY_NAMES: Record<string, readonly string[]> = {
  email_marketing: ['marketing'],
  phone: ['sales_contact'],
};

/**
 * A derived consent state as purpose names, for the adapters that hand it to other capabilities
 * (workflows, council tools): what is granted now (nothing while processing is restricted), which
 * grants were captured in writing (form, checkbox), and what the person explicitly withdrew.
 */
export function consentNames(state: ConsentState): {
  granted: string[];
  written: string[];
  withdrawn: string[];
} {
  const granted: string[] = [];
  const written: string[] = [];
  const withdrawn: string[] = [];
  for (const p of Object.values(state.purposes)) {
    const names = [p.purpose, ...(LEGACY_NAMES[p.purpose] ?? [])];
    if (p.allowed && !state.restricted) {
      granted.push(...names);
      if (p.method === 'checkbox' || p.method === 'form') written.push(...names);
    } else if (!p.allowed && p.basis === 'recorded') withdrawn.push(...names);
  }
  return { granted, written, withdrawn };
}

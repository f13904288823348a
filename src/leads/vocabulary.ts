/**
 * The lead vocabulary every capability shares: decision-making levels (the chat's `authority` slot,
 * the council's reading of a title) and the seniority read from a job title (scoring features and
 * segments). One list each, so a level added here reaches every `Record<AuthorityLevel, …>`.
 */

/** Decision-making levels, highest first. */
export const AUTHORITY_LEVELS = ['executive', 'vp', 'director', 'manager', 'individual'] as const;
/** A decision-making level. */
export type AuthorityLevel = (typeof AUTHORITY_LEVELS)[number];

/** Seniority as scoring reads it from a title; `not-a-buyer` for students, interns, job seekers. */
export type Seniority = 'executive' | 'director' | 'manager' | 'individual' | 'not-a-buyer';

// Order matters: "Head of Sales Intern" is an intern, "Sales Director" a director.
const SENIORITY_PATTERNS: readonly [RegExp, Seniority][] = [
  [/\b(student|intern|internship|trainee|job seeker|unemployed)\b/i, 'not-a-buyer'],
  [
    /\b(ceo|cto|cfo|coo|cmo|cio|cro|chief|founder|co-founder|owner|president|vp|vice president|head of|partner|managing director|geschäftsführer)\b/i,
    'executive',
  ],
  [/\b(director)\b/i, 'director'],
  [/\b(manager|team lead|lead|supervisor)\b/i, 'manager'],
];

/** Seniority from a job title; null when there is no title. */
export function seniorityOf(title: string | null): Seniority | null {
  if (!title || title.trim() === '') return null;
  for (const [pattern, level] of SENIORITY_PATTERNS) if (pattern.test(title)) return level;
  return 'individual';
}

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

/*
 * The error idiom, kept by a grep: operational failures are `LeadloopError` with a code; plain
 * `Error` is for programmer errors only and comes from the helpers in `src/core/errors.ts`
 * (`assertNever`, `invariant`, `unreachable`). Tests and `testing/` folders may throw what they like.
 */
const root = join(import.meta.dirname, '..');
const ALLOWED_PLAIN_ERRORS = new Set(['src/core/errors.ts']);

function productionFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : productionFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Offending lines as `file:line: text`, comments and strings included (a mention is rare and cheap to reword). */
function offences(pattern: RegExp, allowed: ReadonlySet<string>): string[] {
  return productionFiles(join(root, 'src')).flatMap((file) => {
    const name = relative(root, file);
    if (allowed.has(name)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) => (pattern.test(line) ? [`${name}:${i + 1}: ${line.trim()}`] : []));
  });
}

describe('error idiom', () => {
  it('keeps plain `new Error` out of src/ except the programmer-error helpers', () => {
    assert.deepEqual(offences(/\bnew Error\(/, ALLOWED_PLAIN_ERRORS), []);
  });

  it('marks retryability with LeadloopError options, never by assigning to a plain error', () => {
    assert.deepEqual(offences(/Object\.assign\(\s*new \w*Error/, new Set()), []);
  });

  it('has one exhaustiveness idiom: assertNever, not a `never` variable', () => {
    assert.deepEqual(offences(/\b(const|let) \w+: never =/, new Set()), []);
  });

  it('finds an offence when there is one (the scan is not blind)', () => {
    assert.ok(offences(/\bnew Error\(/, new Set()).some((line) => line.startsWith('src/core/errors.ts')));
  });
});

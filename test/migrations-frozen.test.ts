import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { DIALECTS } from './support/runtime.ts';
import { dumpMigratedSchema, type SchemaDump } from './support/schema-dump.ts';

/**
 * Migrations are frozen: once released, what one builds (and what its down() removes) never
 * changes, however its code is tidied. The schema every migration builds on a fresh database is
 * compared with the snapshot under test/fixtures/schema/. After a deliberate new migration,
 * refresh the snapshots with UPDATE_SCHEMA_SNAPSHOTS=1 and review the diff: lines may only be
 * added by the new migration (docs/decisions/2026-12-07-migration-kit.md).
 */
describe('frozen migrations', () => {
  for (const dialect of DIALECTS) {
    it(`build the snapshot schema on ${dialect}, and undo it step by step the same way`, async () => {
      const file = new URL(`./fixtures/schema/${dialect}.sql`, import.meta.url);
      const actual = render(await dumpMigratedSchema(dialect));
      if (process.env.UPDATE_SCHEMA_SNAPSHOTS === '1') await writeFile(file, actual);
      const expected = await readFile(file, 'utf8');
      assert.equal(
        actual,
        expected,
        `the ${dialect} schema differs from test/fixtures/schema/${dialect}.sql: an old migration changed what it builds`,
      );
    });
  }
});

function render(dump: SchemaDump): string {
  return `${dump.schema}\n-- down() steps: the migration undone and the sha256 of the schema it leaves\n${dump.downSteps.map((s) => `-- ${s}`).join('\n')}\n`;
}

import type { Migration } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { initialMigration } from './001-initial.ts';
import { chatMigration } from './002-chat.ts';
import { scoringMigration } from './003-scoring.ts';
import { councilMigration } from './004-council.ts';
import { rowLevelSecurityMigration } from './005-row-level-security.ts';
import { jobDispatchIndexMigration } from './006-job-dispatch-index.ts';
import { workflowsMigration } from './040-workflows.ts';

/** One ordered list of migrations for both dialects; names sort in application order. */
export function migrationsFor(dialect: DialectName): Record<string, Migration> {
  return {
    '001-initial': initialMigration(dialect),
    '002-chat': chatMigration(),
    '003-scoring': scoringMigration(dialect),
    '004-council': councilMigration(dialect),
    '005-row-level-security': rowLevelSecurityMigration(dialect),
    '006-job-dispatch-index': jobDispatchIndexMigration(),
    '040-workflows': workflowsMigration(dialect),
  };
}

import type { Migration } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { initialMigration } from './001-initial.ts';
import { chatMigration } from './002-chat.ts';
import { scoringMigration } from './003-scoring.ts';
import { councilMigration } from './004-council.ts';
import { rowLevelSecurityMigration } from './005-row-level-security.ts';
import { jobDispatchIndexMigration } from './006-job-dispatch-index.ts';
import { auditAppendMigration } from './010-audit-append.ts';
import { identityClaimsMigration } from './011-identity-claims.ts';
import { credentialFunctionsMigration } from './012-credential-functions.ts';
import { signedDataScopeMigration } from './013-signed-data-scope.ts';
import { directoryRowSecurityMigration } from './014-directory-row-security.ts';
import { auditResealMigration } from './015-audit-reseal.ts';
import { consoleAccountSecurityMigration } from './016-console-account-security.ts';
import { settingsFunctionsMigration } from './017-settings-functions.ts';
import { directoryReadScopeMigration } from './018-directory-read-scope.ts';
import { signInCounterScopeMigration } from './019-sign-in-counter-scope.ts';
import { apiKeyManagementMigration } from './023-api-key-management.ts';
import { privacyMigration } from './030-privacy.ts';
import { privacyRequestHoldMigration } from './031-privacy-request-hold.ts';
import { questionOrdersMigration } from './035-question-orders.ts';
import { workflowsMigration } from './040-workflows.ts';
import { workflowTriggersMigration } from './041-workflow-triggers.ts';
import { messageTemplatesMigration } from './042-message-templates.ts';
import { usersMigration } from './050-users.ts';
import { leadFiltersMigration } from './051-lead-filters.ts';
import { inboxSpeedMigration } from './052-inbox-speed.ts';
import { workflowActivityMigration } from './053-workflow-activity.ts';
import { splitWeightsMigration } from './056-split-weights.ts';
import { analyticsMigration } from './060-analytics.ts';
import { optimiserMigration } from './061-optimiser.ts';
import { sourceHoldsMigration } from './067-source-holds.ts';
import { chatOperatorListMigration } from './070-chat-operator-list.ts';
import { chatKnowledgeMigration } from './071-chat-knowledge.ts';
import { workflowRunsByLeadMigration } from './072-workflow-runs-by-lead.ts';
import { leadSearchPerSetMigration } from './073-lead-search-per-set.ts';
import { auditAppendSetMigration } from './074-audit-append-set.ts';

/** One ordered list of migrations for both dialects; names sort in application order. */
export function migrationsFor(dialect: DialectName): Record<string, Migration> {
  return {
    '001-initial': initialMigration(dialect),
    '002-chat': chatMigration(),
    '003-scoring': scoringMigration(dialect),
    '004-council': councilMigration(dialect),
    '005-row-level-security': rowLevelSecurityMigration(dialect),
    '006-job-dispatch-index': jobDispatchIndexMigration(),
    '010-audit-append': auditAppendMigration(dialect),
    '011-identity-claims': identityClaimsMigration(dialect),
    '012-credential-functions': credentialFunctionsMigration(dialect),
    '013-signed-data-scope': signedDataScopeMigration(dialect),
    '014-directory-row-security': directoryRowSecurityMigration(dialect),
    '015-audit-reseal': auditResealMigration(dialect),
    '016-console-account-security': consoleAccountSecurityMigration(dialect),
    '017-settings-functions': settingsFunctionsMigration(dialect),
    '018-directory-read-scope': directoryReadScopeMigration(dialect),
    '019-sign-in-counter-scope': signInCounterScopeMigration(dialect),
    '023-api-key-management': apiKeyManagementMigration(dialect),
    '030-privacy': privacyMigration(dialect),
    '031-privacy-request-hold': privacyRequestHoldMigration(),
    '035-question-orders': questionOrdersMigration(dialect),
    '040-workflows': workflowsMigration(dialect),
    '041-workflow-triggers': workflowTriggersMigration(dialect),
    '042-message-templates': messageTemplatesMigration(dialect),
    '050-users': usersMigration(dialect),
    '051-lead-filters': leadFiltersMigration(),
    '052-inbox-speed': inboxSpeedMigration(dialect),
    '053-workflow-activity': workflowActivityMigration(),
    '056-split-weights': splitWeightsMigration(dialect),
    '060-analytics': analyticsMigration(dialect),
    '061-optimiser': optimiserMigration(dialect),
    '067-source-holds': sourceHoldsMigration(dialect),
    '070-chat-operator-list': chatOperatorListMigration(),
    '071-chat-knowledge': chatKnowledgeMigration(dialect),
    '072-workflow-runs-by-lead': workflowRunsByLeadMigration(),
    '073-lead-search-per-set': leadSearchPerSetMigration(dialect),
    '074-audit-append-set': auditAppendSetMigration(dialect),
  };
}

import type { ChatStore } from '../chat/index.ts';
import type { AuditLog } from '../compliance/index.ts';
import type { Clock, IdGenerator } from '../core/index.ts';
import {
  type CouncilCost,
  type CouncilService,
  createCouncil,
  createCouncilService,
  createDbAgentDirectory,
  createDbRouterStatsStore,
  createInMemoryCouncilBudget,
  type DecisionCache,
} from '../council/index.ts';
import type { DomainEventLog } from '../events/index.ts';
import type { Privacy } from '../privacy/index.ts';
import type { RulesRepository } from '../scoring/index.ts';
import type { Store } from '../store/index.ts';
import type { WorkflowEngine } from '../workflows/index.ts';
import { createDbCouncilTools } from './council-tools/index.ts';
import { modelUsageData } from './model-usage-events.ts';
import type { ModelWiring } from './model-wiring.ts';

/**
 * The council over the model, its tools (scores, conversations, consent read through `main`'s
 * adapters) and what a decision sets off elsewhere. The workflow engine is built after the council
 * (its steps ask the council), so it is reached through `workflowEngine`, called once a decision is made.
 */
export function wireCouncil(options: {
  store: Store;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
  events: DomainEventLog;
  model: ModelWiring;
  chats: ChatStore;
  rules: RulesRepository;
  privacy: Privacy;
  decisionCache: DecisionCache;
  budget: CouncilCost | ((workspaceId: string) => CouncilCost);
  workflowEngine(): WorkflowEngine;
}): CouncilService {
  const { store, audit, clock, ids, events, chats, rules, privacy, workflowEngine } = options;
  return createCouncilService({
    store,
    audit,
    clock,
    // Model spend reaches the analytics rollups as a domain event committed with the decision.
    onSpent: (db, workspaceId, spend) =>
      events.append(db, workspaceId, [
        {
          type: 'council.decided',
          subject: spend.decisionId,
          data: {
            questionType: spend.questionType,
            offline: spend.offline,
            ...modelUsageData(options.model.prices, spend),
          },
        },
      ]),
    // Workflows with a `council.decided` trigger start in the decision's own transaction.
    onDecided: (db, workspaceId, decision) =>
      workflowEngine().fire(db, workspaceId, {
        type: 'council.decided',
        leadId: decision.leadId,
        occurrence: decision.decisionId,
        value: decision.decisionClass,
        data: {
          decisionId: decision.decisionId,
          decision: decision.decisionClass,
          confidence: decision.confidence,
        },
      }),
    council: createCouncil({
      models: options.model.models,
      tools: createDbCouncilTools({ store, chats, rules, clock, consentState: privacy.consentState }),
      agents: createDbAgentDirectory(store),
      stats: createDbRouterStatsStore(store, clock),
      budget: createInMemoryCouncilBudget({ clock, limits: options.budget }),
      offlineModels: options.model.offlineModels,
      cache: options.decisionCache,
      clock,
      ids: () => ids.next('dec'),
    }),
  });
}

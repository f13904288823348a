import { jobsCommand, keyCommand, secretCommand, workspaceCommand } from './admin-commands.ts';
import { auditCommand } from './audit-command.ts';
import { importCommand } from './import-command.ts';
import { createKnowledgeCommand } from './knowledge-command.ts';
import { masterKeyCommand } from './master-key-command.ts';
import { createPrivacyCommand } from './privacy-command.ts';
import { scoringCommands } from './scoring-commands.ts';
import { migrateCommand, serveCommand, workerCommand } from './server-commands.ts';
import type { Command } from './types.ts';
import { userCommand } from './user-commands.ts';
import { createWorkflowCommand } from './workflow-commands.ts';

export type { Command, CommandContext } from './types.ts';

export const commands: Record<string, Command> = {
  serve: serveCommand,
  worker: workerCommand,
  migrate: migrateCommand,
  workspace: workspaceCommand,
  key: keyCommand,
  secret: secretCommand,
  audit: auditCommand,
  jobs: jobsCommand,
  import: importCommand,
  train: scoringCommands.train,
  models: scoringCommands.models,
  evaluate: scoringCommands.evaluate,
  outcomes: scoringCommands.outcomes,
  privacy: createPrivacyCommand(),
  user: userCommand,
  workflows: createWorkflowCommand(),
  'master-key': masterKeyCommand,
  knowledge: createKnowledgeCommand(),
};

export function usage(): string {
  const lines = Object.values(commands).map((c) => `  ${c.usage}\n      ${c.summary}`);
  return `leadloop: lead ingestion, qualification and scoring\n\nUsage:\n${lines.join('\n')}\n\nEnvironment: PORT, HOST, LEADLOOP_DATA_DIR, DATABASE_URL, LOG_LEVEL, LEADLOOP_WORKER_CONCURRENCY\n`;
}

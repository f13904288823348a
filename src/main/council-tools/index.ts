/**
 * Adapters that give the council what it reads of other capabilities: leads (the kernel), chat
 * conversations and scoring's rules, over the database. The council declares the port
 * (`CouncilTools`); only the composition root knows both sides.
 */

export { createDbCouncilTools } from './db-tools.ts';

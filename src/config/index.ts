export type { Config } from './schema.ts';
export { ConfigError, loadConfig } from './schema.ts';

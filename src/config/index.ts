export type { Config } from './schema.ts';
export { ConfigError, configSchema, loadConfig } from './schema.ts';

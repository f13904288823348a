import { z } from 'zod';

const modelPricesSchema = z.record(
  z.string().regex(/^[a-z-]+:.+$/, 'keys are provider:model, such as openai:gpt-4o-mini'),
  z
    .object({ inputPerMillion: z.number().nonnegative(), outputPerMillion: z.number().nonnegative() })
    .strict(),
);

/** Environment variables Leadloop reads, validated once at boot. */
const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LEADLOOP_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /**
   * The role that owns the schema and runs migrations, when `DATABASE_URL` connects as the
   * application's role (which owns nothing and is bound by row-level security). Default: `DATABASE_URL`.
   */
  DATABASE_OWNER_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /** The application's role that `leadloop migrate` creates and grants (login, no BYPASSRLS). */
  DATABASE_APP_ROLE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL role name')
    .default('leadloop_app'),
  /** Password `leadloop migrate` gives the application's role (omit with trust or certificate auth). */
  DATABASE_APP_PASSWORD: z.string().min(1).optional(),
  /**
   * Redis for the BullMQ queue adapter (scale-out). Jobs are still recorded in the database; Redis
   * only dispatches them to workers. Without it the database dispatches them too (embedded queue).
   */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  /**
   * RabbitMQ for the queue (scale-out), as an alternative to `REDIS_URL` (set one of the two). Jobs
   * are still recorded in the database; RabbitMQ only dispatches them to workers.
   */
  QUEUE_URL: z
    .string()
    .regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL (RabbitMQ; Redis goes in REDIS_URL)')
    .optional(),
  /** How long a claimed job stays invisible to other workers if its worker stops renewing the lease (a crash). */
  LEADLOOP_QUEUE_VISIBILITY_MS: z.coerce.number().int().min(1000).max(3_600_000).default(15_000),
  /** With Redis: how long a job may sit in Redis unclaimed before the database sends it again (Redis lost it). */
  LEADLOOP_QUEUE_RESEND_AFTER_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  /** Prefix of the queue's Redis keys; deployments sharing one Redis need distinct ones. */
  LEADLOOP_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 letters, digits, ".", "_" or "-"')
    .default('leadloop'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LEADLOOP_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  /**
   * Where `leadloop serve` (embedded queue) runs its job workers: `thread`, a worker thread with its
   * own database connection; `inline`, on the event loop that answers requests (it processes only
   * when requests leave it time); `auto` (default), the thread when the machine has two CPUs or
   * more. At 3,000 webhooks/s on two cores the thread processed 1,709-1,874 leads/s during the
   * load against 202 inline, for about 80 MiB more RSS and a higher request p99
   * (docs/decisions/2026-12-07-worker-thread-by-default.md).
   */
  LEADLOOP_EMBEDDED_WORKERS: z.enum(['auto', 'thread', 'inline']).default('auto'),
  /** `offline` (default, no network), `openai:gpt-4o-mini`, `anthropic:<model>`, `ollama:llama3.1`, `openai-compatible:<model>`. */
  LEADLOOP_MODEL: z.string().min(1).default('offline'),
  /** Base URL for ollama / openai-compatible providers (or a proxy for openai / anthropic). */
  LEADLOOP_MODEL_BASE_URL: z.url().optional(),
  /** Model tokens each workspace may use per hour (chat extraction and the council together). */
  LEADLOOP_MODEL_TOKENS_PER_HOUR: z.coerce.number().int().min(1).default(2_000_000),
  LEADLOOP_MODEL_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  /**
   * With a real model: how long the chat waits for the first words of a reply the model writes
   * before it sends the offline wording instead (the whole reply is bounded by LEADLOOP_MODEL_TIMEOUT_MS).
   */
  LEADLOOP_CHAT_MODEL_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(3_000),
  /**
   * Prices of models per million tokens in US dollars, JSON keyed `provider:model`
   * (`{"openai:gpt-4o-mini": {"inputPerMillion": 0.15, "outputPerMillion": 0.6}}`); they replace the
   * built-in list prices (src/models/prices.ts) for those models, so spend metrics are in money.
   */
  LEADLOOP_MODEL_PRICES: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return {};
      try {
        const parsed = modelPricesSchema.safeParse(JSON.parse(raw));
        if (parsed.success) return parsed.data;
        ctx.addIssue({ code: 'custom', message: parsed.error.issues[0]?.message ?? 'invalid prices' });
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      }
      return z.NEVER;
    }),
  OPENAI_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  /**
   * The master key (base64 of 32 bytes) that seals webhook secrets at rest, authenticates the
   * audit trail, seals per-subject keys (crypto-shredding), signs preference links and peppers the
   * suppression list. Without it, one is generated into `LEADLOOP_DATA_DIR/master.key` (mode 0600) on
   * first start; every process of one deployment needs the same key.
   */
  LEADLOOP_MASTER_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').byteLength === 32, 'must be base64 of 32 random bytes')
    .optional(),
  /**
   * Earlier master keys, comma-separated base64, kept while `leadloop keys rotate-master` re-seals
   * what they sealed: secrets they sealed still open, audit MACs and checkpoints they made still
   * verify. Nothing new is sealed or MAC'd with them.
   */
  LEADLOOP_PREVIOUS_MASTER_KEYS: z
    .string()
    .refine(
      (v) => v.split(',').every((k) => Buffer.from(k.trim(), 'base64').byteLength === 32),
      'must be comma-separated base64 keys of 32 bytes each',
    )
    .optional(),
  /** Bearer token `/metrics` asks for; without it, `/metrics` answers 404. */
  LEADLOOP_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** SMTP server workflow e-mail goes through, e.g. smtp://user:pass@smtp.example.com:587. Without it e-mail steps fail. */
  LEADLOOP_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  /** The public base URL of this server, for links in e-mail (unsubscribe). Default http://HOST:PORT. */
  LEADLOOP_PUBLIC_URL: z.url().optional(),
  /** Timeout of a workflow step's HTTP call (redirects included). */
  LEADLOOP_WORKFLOW_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  /** How long a stopping process waits for in-flight requests and jobs. */
  LEADLOOP_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(15_000),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads the environment; a bad value stops boot with a message naming the variable and what it expects. */
export function loadConfig(
  env: Record<string, string | undefined>,
  overrides: Partial<Record<keyof Config, string | number | undefined>> = {},
): Config {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = overrides[key as keyof Config] ?? env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) =>
        `  ${issue.path.join('.')}=${JSON.stringify(input[String(issue.path[0])])}: ${issue.message}`,
    );
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readingDirectory } from '../core/index.ts';
import { generatePassword } from '../users/index.ts';
import type { Runtime } from './runtime.ts';

export interface DemoCredentials {
  workspaceId: string;
  organisationId: string;
  apiKey: string;
  webhookSecret: string;
  widgetKey: string;
  /** The console's demo admin (sign in at /app). */
  adminEmail?: string;
  adminPassword?: string;
}

const DEMO_ADMIN_EMAIL = 'admin@leadloop.local';

/** The demo workspace's admin account, created once (also for data directories from before the console). */
async function ensureDemoAdmin(runtime: Runtime, credentials: DemoCredentials): Promise<DemoCredentials> {
  if (credentials.adminEmail && (await runtime.users.findUser(credentials.adminEmail))) return credentials;
  if (await runtime.users.findUser(DEMO_ADMIN_EMAIL)) return credentials;
  const actor = { type: 'system' as const, id: 'first-run' };
  const adminPassword = generatePassword();
  const user = await runtime.users.createUser({
    email: DEMO_ADMIN_EMAIL,
    name: 'Demo admin',
    password: adminPassword,
    workspaceId: credentials.workspaceId,
    actor,
  });
  await runtime.users.grantRole({
    userId: user.id,
    workspaceId: credentials.workspaceId,
    role: 'admin',
    actor,
  });
  await runtime.users.grantRole({
    userId: user.id,
    organisationId: credentials.organisationId,
    role: 'admin',
    actor,
  });
  return { ...credentials, adminEmail: DEMO_ADMIN_EMAIL, adminPassword };
}

function save(runtime: Runtime, file: string, credentials: DemoCredentials): void {
  if (runtime.store.dialect !== 'sqlite') return;
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/**
 * The first start of an empty database creates a demo workspace. Keys are stored hashed, so the
 * plain credentials are kept in a 0600 file beside the data for the banner to show on every start.
 */
export async function ensureDemoWorkspace(
  runtime: Runtime,
  dataDir: string,
): Promise<DemoCredentials | null> {
  const file = join(dataDir, 'demo-credentials.json');
  const any = await readingDirectory(() =>
    runtime.store.db.selectFrom('workspaces').select('id').limit(1).executeTakeFirst(),
  );
  if (any) {
    if (!existsSync(file)) return null;
    const saved = JSON.parse(readFileSync(file, 'utf8')) as DemoCredentials;
    if (!(await runtime.tenants.getWorkspace(saved.workspaceId))) return null;
    const withAdmin = await ensureDemoAdmin(runtime, saved);
    if (withAdmin !== saved) save(runtime, file, withAdmin);
    return withAdmin;
  }
  const created = await runtime.tenants.createWorkspace({
    name: 'Demo workspace',
    organisation: 'Demo organisation',
    actor: { type: 'system', id: 'first-run' },
  });
  const credentials = await ensureDemoAdmin(runtime, {
    workspaceId: created.workspace.id,
    organisationId: created.workspace.organisationId,
    apiKey: created.apiKey,
    webhookSecret: created.webhookSecret,
    widgetKey: created.widgetKey,
  });
  save(runtime, file, credentials);
  return credentials;
}

export function banner(url: string, location: string, demo: DemoCredentials | null): string {
  const lines = [
    '',
    `  Leadloop is running at ${url}`,
    `  API docs:        ${url}/docs   (OpenAPI: ${url}/openapi.json)`,
    `  Storage:         ${location}`,
  ];
  if (demo) {
    lines.push(
      '',
      '  Demo workspace',
      `    workspace id:   ${demo.workspaceId}`,
      `    API key:        ${demo.apiKey}`,
      `    webhook secret: ${demo.webhookSecret}`,
      `    widget key:     ${demo.widgetKey}   (the embed tag's data-key)`,
      `    chat demo:      ${url}/demo`,
      ...(demo.adminEmail && demo.adminPassword
        ? [
            '',
            `  Console: ${url}/app`,
            `    e-mail:         ${demo.adminEmail}`,
            `    password:       ${demo.adminPassword}`,
          ]
        : []),
      '',
      '  Try it:',
      `    curl -s -X POST ${url}/v1/leads \\`,
      `      -H 'Authorization: Bearer ${demo.apiKey}' -H 'Content-Type: application/json' \\`,
      `      -d '{"email":"ada@example-corp.com","name":"Ada Lovelace","title":"VP Engineering","company":"Example Corp","source":"demo-request"}'`,
      `    curl -s ${url}/v1/leads -H 'Authorization: Bearer ${demo.apiKey}'`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

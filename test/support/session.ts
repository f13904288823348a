import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../src/main/runtime.ts';
import type { Role } from '../../src/users/index.ts';
import { call, type Json } from './http.ts';

export interface TestSession {
  cookie: string;
  csrfToken: string;
  body: Json['body'];
}

/** Creates an account with a role in a workspace (passwords are long enough for the policy). */
export async function createOperator(
  runtime: Runtime,
  input: { email: string; workspaceId: string; role: Role; password?: string },
): Promise<{ id: string; email: string; password: string }> {
  const password = input.password ?? 'correct horse battery';
  const actor = { type: 'system' as const, id: 'test' };
  const user = await runtime.users.createUser({
    email: input.email,
    password,
    workspaceId: input.workspaceId,
    actor,
  });
  await runtime.users.grantRole({ userId: user.id, workspaceId: input.workspaceId, role: input.role, actor });
  return { id: user.id, email: user.email, password };
}

export async function signIn(
  app: FastifyInstance,
  email: string,
  password: string,
  workspaceId?: string,
): Promise<TestSession> {
  const response = await call(app, 'POST', '/v1/session', {
    body: { email, password, ...(workspaceId ? { workspaceId } : {}) },
  });
  if (response.status !== 200) throw new Error(`sign-in failed: ${JSON.stringify(response.body)}`);
  const setCookie = String(response.headers['set-cookie']);
  return {
    cookie: setCookie.split(';')[0] ?? '',
    csrfToken: response.body.csrfToken as string,
    body: response.body,
  };
}

/** A console request: the session cookie, and the CSRF token on every change. */
export function callWithSession(
  app: FastifyInstance,
  session: TestSession,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  body?: unknown,
  options: { csrf?: boolean } = {},
): Promise<Json> {
  const headers: Record<string, string> = { cookie: session.cookie };
  if (method !== 'GET' && options.csrf !== false) headers['x-csrf-token'] = session.csrfToken;
  return call(app, method, url, { body, headers });
}

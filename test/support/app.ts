import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Clock } from '../../src/core/index.ts';
import type { HttpApp } from '../../src/http/index.ts';
import { type ProtocolServer, startProtocolServer } from '../../src/models/testing/protocol-server.ts';
import {
  type createTestRuntime,
  startAppWithWorkspace,
  startTestApp,
  stopTestApp,
  type TestDialect,
  type TestRuntime,
} from './runtime.ts';

// Kept apart from runtime.ts, which benchmarks import too: only test files should load node:test.

/** A started test app, as {@link useTestApp} hands it to a suite. */
export interface TestApp {
  runtime: TestRuntime;
  http: HttpApp;
}

interface UseTestAppOptions {
  /** Job workers to start once the app is up (none unless given). */
  workers?: number;
  runtime?: Parameters<typeof createTestRuntime>[1];
}

/**
 * Starts a test app before the suite's tests and stops it after them (call it inside `describe`).
 * The returned object is filled in when `before` runs, so tests read `app.runtime` and `app.http`
 * inside their bodies, never at declaration time.
 */
export function useTestApp(dialect: TestDialect, options: UseTestAppOptions = {}): TestApp {
  return useStarted(() => startTestApp(dialect, options.runtime), options.workers);
}

/** {@link useTestApp} with one workspace created, as {@link startAppWithWorkspace} creates it. */
export function useAppWithWorkspace(
  dialect: TestDialect,
  options: UseTestAppOptions = {},
): TestApp & { ws: { workspaceId: string; organisationId: string; apiKey: string } } {
  return useStarted(() => startAppWithWorkspace(dialect, options.runtime), options.workers);
}

/** What `start` makes, started before the suite's tests (with `workers`, if any) and stopped after. */
function useStarted<T extends TestApp>(start: () => Promise<T>, workers: number | undefined): T {
  const app = {} as T;
  before(async () => {
    Object.assign(app, await start());
    if (workers) app.runtime.startWorkers(workers);
  });
  after(() => stopTestApp(app));
  return app;
}

/**
 * {@link useTestApp} whose AI model is OpenAI's wire protocol answered by a local protocol server
 * (started first, closed last): the suite scripts `app.server` and reads what reached it. `config`
 * adds to (or replaces) the model settings.
 */
export function useAppWithModelServer(
  dialect: TestDialect,
  options: { clock: Clock; config?: Record<string, string> },
): TestApp & { server: ProtocolServer } {
  const app = {} as TestApp & { server: ProtocolServer };
  before(async () => {
    app.server = await startProtocolServer();
    Object.assign(
      app,
      await startTestApp(dialect, {
        clock: options.clock,
        config: {
          LEADLOOP_MODEL: 'openai:gpt-4o-mini',
          OPENAI_API_KEY: 'sk-test',
          LEADLOOP_MODEL_BASE_URL: `${app.server.url}/v1`,
          LEADLOOP_MODEL_TIMEOUT_MS: '3000',
          ...options.config,
        },
      }),
    );
  });
  after(async () => {
    await stopTestApp(app);
    await app.server.close();
  });
  return app;
}

/**
 * A temporary directory for the suite (call it inside `describe`): made before its tests and removed
 * after them. Like {@link useTestApp}, `path` is filled in when `before` runs: read it in test bodies.
 */
export function useTempDir(prefix: string): { path: string } {
  const dir = { path: '' };
  before(() => {
    dir.path = mkdtempSync(join(tmpdir(), prefix));
  });
  after(() => rmSync(dir.path, { recursive: true, force: true }));
  return dir;
}

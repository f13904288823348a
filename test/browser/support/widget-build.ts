import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const WIDGET_FILE = join(root, 'web/dist/widget.js');
export const DEMO_FILE = join(root, 'web/demo/index.html');
const SOURCES = [join(root, 'web/widget'), join(root, 'web/vite.widget.config.ts')];

function newestSource(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestSource(join(path, name))));
}

/** Raw and gzipped size of the built widget, in bytes. */
export function widgetSize(code: Buffer): { raw: number; gzipped: number } {
  return { raw: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

/**
 * Builds `web/dist/widget.js` with Vite when it is missing or older than its sources (what
 * `npm run build:web` does). The file is written to a temporary name and renamed, so a test
 * file or server reading it never sees half of it.
 */
export async function ensureWidgetBuilt(): Promise<string> {
  let builtAt = 0;
  try {
    builtAt = statSync(WIDGET_FILE).mtimeMs;
  } catch {
    // Not built yet.
  }
  if (builtAt >= Math.max(...SOURCES.map(newestSource))) return WIDGET_FILE;
  const { build } = await import('vite');
  const output = await build({
    configFile: join(root, 'web/vite.widget.config.ts'),
    logLevel: 'warn',
    build: { write: false },
  });
  const results = Array.isArray(output) ? output : [output];
  for (const result of results) {
    if (!('output' in result)) continue;
    const chunk = result.output.find((item) => item.type === 'chunk' && item.fileName === 'widget.js');
    if (chunk?.type !== 'chunk') continue;
    mkdirSync(dirname(WIDGET_FILE), { recursive: true });
    const temporary = `${WIDGET_FILE}.${process.pid}.tmp`;
    writeFileSync(temporary, chunk.code);
    renameSync(temporary, WIDGET_FILE);
    return WIDGET_FILE;
  }
  throw new Error('vite build produced no widget.js');
}

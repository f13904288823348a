import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/** The console's budget for the JavaScript a first visit loads, gzipped (issue 16: under 250 KB). */
export const CONSOLE_INITIAL_BUDGET_BYTES = 250 * 1024;

/** Sums the entry chunk and its static imports (lazy views excluded) and fails the build over budget. */
function initialBudget(): Plugin {
  return {
    name: 'leadloop-console-budget',
    generateBundle(_options, bundle) {
      const chunks = new Map(
        Object.values(bundle).flatMap((c) => (c.type === 'chunk' ? [[c.fileName, c] as const] : [])),
      );
      const initial = new Set<string>();
      const visit = (name: string) => {
        if (initial.has(name)) return;
        initial.add(name);
        for (const imported of chunks.get(name)?.imports ?? []) visit(imported);
      };
      for (const chunk of chunks.values()) if (chunk.isEntry) visit(chunk.fileName);
      let gzipped = 0;
      for (const name of initial) gzipped += gzipSync(chunks.get(name)?.code ?? '', { level: 9 }).length;
      this.info(
        `console initial JavaScript: ${gzipped} B gzipped (budget ${CONSOLE_INITIAL_BUDGET_BYTES} B)`,
      );
      if (gzipped > CONSOLE_INITIAL_BUDGET_BYTES)
        this.error(`initial JavaScript is ${gzipped} B gzipped, over the budget`);
    },
  };
}

/** `vite build --config web/vite.console.config.ts` → web/dist/console/, served under /app. */
export default defineConfig({
  root: fileURLToPath(new URL('./console', import.meta.url)),
  base: '/app/',
  publicDir: false,
  logLevel: 'info',
  plugins: [react(), initialBudget()],
  build: {
    outDir: fileURLToPath(new URL('./dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // No inline module preload polyfill: the CSP allows no inline script.
    modulePreload: { polyfill: false },
  },
});

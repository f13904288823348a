import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

/** The widget's budget, gzipped (issue 4: under 30 KB). */
export const WIDGET_BUDGET_BYTES = 30 * 1024;

/** Prints the bundle's raw and gzipped size and fails the build when it is over budget. */
function sizeBudget(): Plugin {
  return {
    name: 'leadloop-size-budget',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const raw = Buffer.byteLength(chunk.code);
        const gzipped = gzipSync(chunk.code, { level: 9 }).length;
        this.info(`${chunk.fileName}: ${raw} B raw, ${gzipped} B gzipped (budget ${WIDGET_BUDGET_BYTES} B)`);
        if (gzipped > WIDGET_BUDGET_BYTES)
          this.error(`${chunk.fileName} is ${gzipped} B gzipped, over the ${WIDGET_BUDGET_BYTES} B budget`);
      }
    },
  };
}

/** `vite build --config web/vite.widget.config.ts` → web/dist/widget.js, one self-contained IIFE. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  publicDir: false,
  logLevel: 'info',
  plugins: [sizeBudget()],
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2022',
    minify: true,
    sourcemap: false,
    lib: {
      entry: fileURLToPath(new URL('./widget/index.ts', import.meta.url)),
      name: 'LeadloopWidget',
      formats: ['iife'],
      fileName: () => 'widget.js',
    },
  },
});

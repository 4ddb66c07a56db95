// Builds the browser pages (chat demo at /, admin UI at /admin) into dist/web; the gateway serves
// them. Everything the pages need is bundled: nothing is loaded from another origin at run time.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    rollupOptions: {
      input: { chat: `${root}index.html`, admin: `${root}admin/index.html` },
    },
  },
});

import { defineConfig } from 'vite';

// Served by the API under /console/ (apps/api/src/app/create-api-app.ts). JSX goes through Vite's
// own transformer with the automatic runtime, so no React plugin (and no Babel) is needed.
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  server: {
    proxy: Object.fromEntries(
      ['/segments', '/destinations', '/activations', '/sync-runs', '/connectors', '/holdout', '/openapi.json'].map((path) => [
        path,
        process.env.AK_API_URL ?? 'http://127.0.0.1:3000',
      ]),
    ),
  },
});

/**
 * Build of the offline stand-in for playground.wordpress.net: `npx vite build --config
 * testbed/vite.config.ts` → testbed/dist (served by testbed/server.ts).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin, type Rolldown } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const stub = fileURLToPath(new URL('./src/unsupported-php-version.ts', import.meta.url));
const UNUSED_PHP_BUILDS = ['8-5', '8-4', '8-2', '8-1', '8-0', '7-4', '5-2'];

/**
 * The php-wasm packages import binary files (`php_8_3.wasm`, `icu.dat`, `intl.so`) as if a
 * bundler turned them into URLs: make every such bare import a `?url` import.
 */
function binaryImportsAsUrls(): Plugin {
  return {
    name: 'standin-binary-imports-as-urls',
    enforce: 'pre',
    async resolveId(source, importer) {
      if (!/\.(wasm|dat|so)$/.test(source) || source.includes('?')) {
        return null;
      }
      const resolved = await this.resolve(source, importer, { skipSelf: true });
      return resolved ? `${resolved.id}?url` : null;
    },
  };
}

const alias = [
  ...UNUSED_PHP_BUILDS.map((version) => ({ find: `@php-wasm/web-${version}`, replacement: stub })),
  { find: /^worker_threads$/, replacement: fileURLToPath(new URL('./src/no-worker-threads.ts', import.meta.url)) },
];

/**
 * @wp-playground/storage imports `fs` and `path` for its Node code paths, which the stand-in never
 * takes: Vite's note that they are left out of the browser bundle is expected, not a problem.
 */
function quietLogs(level: Rolldown.LogLevel, log: Rolldown.RolldownLog, handler: Rolldown.LogOrStringHandler): void {
  if (/Module "(fs|path)" has been externalized for browser compatibility, imported by .*@wp-playground\/storage/.test(log.message)) return;
  handler(level, log);
}

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  resolve: { alias },
  plugins: [binaryImportsAsUrls()],
  worker: {
    format: 'es',
    plugins: () => [binaryImportsAsUrls()],
    // Emscripten's PHP loader uses direct eval on purpose; the PHP runtime's bundle takes its time.
    rolldownOptions: { checks: { eval: false, bundlerTimings: false }, onLog: quietLogs },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'esnext',
    sourcemap: false,
    minify: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 20_000,
    modulePreload: { polyfill: false },
    rolldownOptions: {
      checks: { eval: false, bundlerTimings: false },
      onLog: quietLogs,
      input: {
        index: `${root}index.html`,
        remote: `${root}remote.html`,
        sw: `${root}src/sw.ts`,
      },
      output: {
        // The service worker must live at /sw.js to control the whole origin.
        entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
});

/**
 * Build of the offline stand-in for playground.wordpress.net: `npx vite build --config
 * testbed/vite.config.ts` → testbed/dist (served by testbed/server.ts).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin, type Rolldown } from 'vite';
import { SUPPORTED_PHP_VERSIONS } from './src/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const stub = fileURLToPath(new URL('./src/unsupported-php-version.ts', import.meta.url));
/** Every PHP build @php-wasm/web imports (`@php-wasm/web-8-3`, …); each weighs 40–55 MB. */
const ALL_PHP_BUILDS = ['8.5', '8.4', '8.3', '8.2', '8.1', '8.0', '7.4', '5.2'];
const UNUSED_PHP_BUILDS = ALL_PHP_BUILDS.filter((version) => !(SUPPORTED_PHP_VERSIONS as readonly string[]).includes(version)).map(
  (version) => version.replace('.', '-'),
);

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

const NO_INTL_MODULE = '\0standin-no-intl-extension';

/**
 * The stand-in never loads PHP's intl extension (a site asks for it in its blueprint): leave out
 * each bundled version's two `intl.so` builds (~13 MB a version); asking for one fails plainly.
 */
function intlExtensionLeftOut(): Plugin {
  return {
    name: 'standin-intl-extension-left-out',
    enforce: 'pre',
    resolveId(source) {
      return /\/extensions\/intl\/intl\.so\?url$/.test(source) ? NO_INTL_MODULE : null;
    },
    load(id) {
      return id === NO_INTL_MODULE ? `throw new Error('The intl extension is not bundled in the offline stand-in.');` : null;
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
  plugins: [intlExtensionLeftOut(), binaryImportsAsUrls()],
  worker: {
    format: 'es',
    plugins: () => [intlExtensionLeftOut(), binaryImportsAsUrls()],
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

import { crx } from '@crxjs/vite-plugin';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import manifest from './manifest.json' with { type: 'json' };

export default defineConfig({
  plugins: [
    preact(),
    crx({
      manifest: manifest as Parameters<typeof crx>[0]['manifest'],
      // Standalone bundles run at document_start without a loader, before the page's own scripts.
      contentScripts: { standaloneFiles: ['content/bridge.ts', 'content/content.ts'] },
    }),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    // The toolbar icons are set by path (`action.setIcon`), which takes no data: URL.
    assetsInlineLimit: (file) => (file.endsWith('.png') ? false : undefined),
    // Pages the manifest does not name: the journal's own page, opened from the popup.
    rollupOptions: { input: { journal: 'popup/journal.html' } },
  },
  server: { cors: { origin: [/chrome-extension:\/\//] } },
});

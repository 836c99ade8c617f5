// The CollapseBench website: static pages with build-time SVG charts. Built by site/build.ts,
// which loads the results and passes them in through COLLAPSE_SITE_DATA.
import { defineConfig } from 'astro/config';
import { fileURLToPath } from 'node:url';

// `astro dev` / `astro preview` started by hand read the data file site/build.ts --data-only wrote.
process.env.COLLAPSE_SITE_DATA ??= fileURLToPath(new URL('./.data/site.json', import.meta.url));

export default defineConfig({
  output: 'static',
  base: process.env.COLLAPSE_SITE_BASE ?? '/',
  build: { format: 'directory', assets: '_assets' },
  server: { host: '127.0.0.1', port: 4321 },
  devToolbar: { enabled: false },
  vite: {
    // Scripts and styles as files, never inlined: the pages' Content-Security-Policy allows no inline script.
    build: { assetsInlineLimit: 0 },
    server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  },
});

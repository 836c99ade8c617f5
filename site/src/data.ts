/** The site's data, read once from the file site/build.ts wrote (COLLAPSE_SITE_DATA). */
import { readFileSync } from 'node:fs';
import { SITE_DATA_VERSION, type SiteData } from '../lib/model.ts';

let cached: SiteData | undefined;

export function siteData(): SiteData {
  if (cached) return cached;
  const path = process.env.COLLAPSE_SITE_DATA;
  if (!path) throw new Error('COLLAPSE_SITE_DATA is not set: build the site with `npm run site:build`');
  const data = JSON.parse(readFileSync(path, 'utf8')) as SiteData;
  if (data.version !== SITE_DATA_VERSION)
    throw new Error(`${path}: site data version ${data.version}, expected ${SITE_DATA_VERSION}: rebuild it with \`npm run site:build\``);
  return (cached = data);
}

/** A site-internal URL under the configured base path: url('tasks/x/') → '/base/tasks/x/'. */
export function url(path = ''): string {
  const base = (process.env.COLLAPSE_SITE_BASE ?? '/').replace(/\/*$/, '/');
  return base + path.replace(/^\/+/, '');
}

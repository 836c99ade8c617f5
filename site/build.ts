/**
 * Builds the website: loads a results folder (site/lib/load.ts) into one data file, then runs
 * the Astro build over it. `npm run site:build -- [options]`:
 *
 *   --results DIR   a local run folder (runs/latest) or published results/ (index.json + runs/);
 *                   default: results/ when it has an index.json, else runs/latest when it has
 *                   cells, else none (the site's empty state)
 *   --local DIR     your own run folder, shown beside published results and labelled as yours
 *                   (default runs/latest when it has cells; only with published results)
 *   --no-local      show published results alone
 *   --empty         build without results, whatever exists
 *   --out DIR       output folder (default site/dist, what `npm run site:preview` serves)
 *   --base PATH     URL path the site is served under, e.g. /collapse-bench/ (default /)
 *   --root DIR      repository root whose tasks and methods are described (tests use a fixture)
 *   --data FILE     where to write the data file (default site/.data/site.json)
 *   --data-only     write the data file and stop (for `npm run site:dev`)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { InputError } from '../harness/params.ts';
import { loadSiteData } from './lib/load.ts';

const SITE = dirname(fileURLToPath(import.meta.url));

export interface BuildOptions {
  results?: string | null;
  /** Your own run folder beside published results (default runs/latest when it has cells; null: none). */
  local?: string | null;
  out?: string;
  base?: string;
  root?: string;
  data?: string;
  dataOnly?: boolean;
  /** Astro's own log level. @default 'warn' */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export async function buildSite(options: BuildOptions = {}): Promise<{ out: string; data: string; pages: number; ms: number }> {
  const started = performance.now();
  const dataFile = resolve(options.data ?? join(SITE, '.data', 'site.json'));
  const out = resolve(options.out ?? join(SITE, 'dist'));
  const data = await loadSiteData({
    results: options.results,
    ...(options.local !== undefined && { local: options.local }),
    ...(options.root && { root: options.root }),
  });
  mkdirSync(dirname(dataFile), { recursive: true });
  writeFileSync(dataFile, JSON.stringify(data));
  if (options.dataOnly) return { out, data: dataFile, pages: 0, ms: performance.now() - started };

  // The Astro config and the pages read these (site/astro.config.mjs, site/src/data.ts).
  process.env.COLLAPSE_SITE_DATA = dataFile;
  process.env.COLLAPSE_SITE_BASE = options.base ?? '/';
  process.env.ASTRO_TELEMETRY_DISABLED = '1';
  const { build } = await import('astro');
  let pages = 0;
  await build({
    root: SITE,
    outDir: out,
    logLevel: options.logLevel ?? 'warn',
    integrations: [{ name: 'collapse-bench:count', hooks: { 'astro:build:done': ({ pages: built }) => void (pages = built.length) } }],
  });
  return { out, data: dataFile, pages, ms: performance.now() - started };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      results: { type: 'string' },
      local: { type: 'string' },
      'no-local': { type: 'boolean' },
      empty: { type: 'boolean' },
      out: { type: 'string' },
      base: { type: 'string' },
      root: { type: 'string' },
      data: { type: 'string' },
      'data-only': { type: 'boolean' },
    },
  });
  if (values.empty && values.results) throw new InputError('--empty and --results exclude each other');
  const result = await buildSite({
    results: values.empty ? null : values.results,
    ...(values['no-local'] ? { local: null } : values.local !== undefined && { local: values.local }),
    ...(values.out && { out: values.out }),
    ...(values.base && { base: values.base }),
    ...(values.root && { root: values.root }),
    ...(values.data && { data: values.data }),
    dataOnly: values['data-only'],
  });
  const shown = relative(process.cwd(), result.out) || '.';
  const open =
    result.out === join(SITE, 'dist')
      ? `open it with \`${values.base ? `COLLAPSE_SITE_BASE=${values.base} ` : ''}npm run site:preview\` → http://127.0.0.1:4321${values.base ?? '/'}`
      : `serve ${shown}/ with any static file server`;
  if (values['data-only']) console.log(`site data: ${relative(process.cwd(), result.data)}`);
  else console.log(`site: ${shown}/ (${result.pages} pages, ${(result.ms / 1000).toFixed(1)} s) — ${open}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await main();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    console.error(`error: ${error.message}`);
    process.exitCode = 2;
  }
}

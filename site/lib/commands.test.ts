import { describe, expect, it } from 'vitest';
import { checkoutCommand, reproduceCell, runCommand, shellWord, versionLabel } from './commands.ts';

const key = {
  task: 'gaussian-chain',
  taskParams: { samples: 10, estimator: 'mle' },
  method: 'fresh-data-mixing',
  methodParams: { alpha: 0.5 },
};

describe('reproduction commands', () => {
  it('sets every resolved parameter, keys sorted, and runs seeds 0 … max', () => {
    expect(runCommand(key, [0, 1, 2])).toBe(
      'npx collapse-bench run --task gaussian-chain --method fresh-data-mixing --set estimator=mle --set samples=10 --set fresh-data-mixing.alpha=0.5 --seeds 3 --out repro',
    );
    expect(runCommand(key, [4])).toMatch(/--seeds 5 --out repro$/);
  });

  it('runs the references the score is normalized against beside the entry, each with its parameters', () => {
    const oracle = { ...key, method: 'real-only', methodParams: {} };
    const reference = { ...key, method: 'replace', methodParams: {} };
    const baseline = { ...key, method: 'accumulate', methodParams: { keep: 2 } };
    expect(runCommand(key, [0, 1], 'repro', [oracle, reference, baseline, { ...oracle }, key])).toBe(
      'npx collapse-bench run --task gaussian-chain --method fresh-data-mixing --method real-only --method replace --method accumulate --set estimator=mle --set samples=10 --set fresh-data-mixing.alpha=0.5 --set accumulate.keep=2 --seeds 2 --out repro',
    );
  });

  it('quotes what the shell would interpret', () => {
    expect(shellWord('a=b')).toBe('a=b');
    expect(shellWord("x=it's $(rm -rf)")).toBe(`'x=it'\\''s $(rm -rf)'`);
  });

  it('names the version and strips -dirty from the checkout', () => {
    const provenance = { gitCommit: '0123456789abcdef0123-dirty', harnessVersion: '0.1.0' };
    expect(versionLabel(provenance)).toBe('collapse-bench 0.1.0 at commit 0123456789ab with uncommitted changes');
    expect(checkoutCommand(provenance)).toBe('git checkout 0123456789abcdef0123 && npm ci');
    expect(checkoutCommand({ gitCommit: null })).toBeNull();
  });

  it('gives a record its full recipe: version, run, verify', () => {
    const record = {
      id: 'abc',
      key: { ...key, seed: 1 },
      provenance: { gitCommit: 'f00', harnessVersion: '0.1.0' },
    } as unknown as Parameters<typeof reproduceCell>[0];
    expect(reproduceCell(record).split('\n')).toEqual([
      '# collapse-bench 0.1.0 at commit f00; seed 1 is cell abc',
      'git checkout f00 && npm ci',
      runCommand(key, [1]),
      'npx collapse-bench verify repro/cells/abc.json',
    ]);
  });
});

/** Where a number came from: code hashes, commit, lockfile, runtime and machine. */
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Provenance } from './schema.ts';
import type { Registry } from './registry.ts';
import { sha256Hex } from './hash.ts';

/** The run-wide part of provenance; cells add their task, method and harness hashes and backend. */
export type RunProvenance = Omit<Provenance, 'taskHash' | 'methodHash' | 'harnessHash' | 'backend'>;

export function runProvenance(registry: Registry, root = registry.root): RunProvenance {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const lockfile = join(root, 'package-lock.json');
  return {
    harnessVersion: pkg.version,
    gitCommit: gitCommit(root),
    lockfileHash: existsSync(lockfile) ? sha256Hex(readFileSync(lockfile)) : null,
    node: process.version,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    date: new Date().toISOString(),
  };
}

function gitCommit(root: string): string | null {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    return dirty ? `${head}-dirty` : head;
  } catch {
    return null; // not a git checkout (e.g. installed from the npm registry)
  }
}

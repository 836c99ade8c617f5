/**
 * The exact `collapse-bench` commands that reproduce a number. Every resolved parameter is
 * passed with `--set`, so the command does not depend on profile defaults that may change;
 * `--seeds N` runs seeds 0 … N−1, and a cell's id is a hash of its key, so the rerun writes
 * the same `cells/<id>.json`.
 */
import type { CellKey, Provenance } from '../../harness/schema.ts';

/** What identifies a setting × entry: task and method ids with their resolved parameters. */
interface Key {
  task: string;
  taskParams: Record<string, unknown>;
  method: string;
  methodParams: Record<string, unknown>;
}

/** Quotes a shell word unless it is made only of characters every POSIX shell takes literally. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=+,@%-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** `--set k=v` for every task parameter and `--set <method>.k=v` for every parameter of each method, keys sorted. */
function setFlags(key: Key, others: readonly Key[] = []): string[] {
  const flags: string[] = [];
  for (const name of Object.keys(key.taskParams).sort()) flags.push('--set', shellWord(`${name}=${String(key.taskParams[name])}`));
  for (const entry of [key, ...others]) {
    for (const name of Object.keys(entry.methodParams).sort())
      flags.push('--set', shellWord(`${entry.method}.${name}=${String(entry.methodParams[name])}`));
  }
  return flags;
}

/**
 * `npx collapse-bench run …` for one task setting × entry over seeds 0 … max(seeds), together
 * with the entries its score depends on (`with`: the setting's oracle and reference, which the
 * score is normalized against, and the baseline it is compared with), so that the rerun prints
 * the same number.
 * @param seeds the seeds whose numbers are to be reproduced (the command runs 0 … their maximum).
 */
export function runCommand(key: Key, seeds: readonly number[], out = 'repro', others: readonly Key[] = []): string {
  const n = seeds.length ? Math.max(...seeds) + 1 : 1;
  const extra = others.filter((o, i) => o.method !== key.method && others.findIndex((x) => x.method === o.method) === i);
  const methods = [key, ...extra].flatMap((k) => ['--method', shellWord(k.method)]);
  return [
    'npx collapse-bench run',
    '--task',
    shellWord(key.task),
    ...methods,
    ...setFlags(key, extra),
    '--seeds',
    String(n),
    '--out',
    shellWord(out),
  ].join(' ');
}

/** The code version a record was computed with: `git checkout <commit> && npm ci`, or null when the commit is unknown. */
export function checkoutCommand(provenance: Pick<Provenance, 'gitCommit'>): string | null {
  const commit = provenance.gitCommit?.replace(/-dirty$/, '');
  return commit ? `git checkout ${shellWord(commit)} && npm ci` : null;
}

/** A short, human description of the version: `collapse-bench 0.1.0 at commit 1a2b3c4d (uncommitted changes)`. */
export function versionLabel(provenance: Pick<Provenance, 'gitCommit' | 'harnessVersion'>): string {
  const commit = provenance.gitCommit;
  if (!commit) return `collapse-bench ${provenance.harnessVersion} (commit unknown)`;
  const dirty = commit.endsWith('-dirty');
  return `collapse-bench ${provenance.harnessVersion} at commit ${commit.replace(/-dirty$/, '').slice(0, 12)}${dirty ? ' with uncommitted changes' : ''}`;
}

/** The whole recipe for one record: check out the version, rerun its seeds, verify the cell bit for bit. */
export function reproduceCell(record: { id: string; key: CellKey; provenance: Provenance }): string {
  const lines = [`# ${versionLabel(record.provenance)}; seed ${record.key.seed} is cell ${record.id}`];
  const checkout = checkoutCommand(record.provenance);
  if (checkout) lines.push(checkout);
  lines.push(runCommand(record.key, [record.key.seed]));
  lines.push(`npx collapse-bench verify repro/cells/${record.id}.json`);
  return lines.join('\n');
}

/** Shared output helpers of the CLI: JSON, tables, the leaderboard, reading results. */
import { InvalidArgumentError } from 'commander';
import Table from 'cli-table3';
import pc from 'picocolors';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, paramInfo } from '../harness/params.ts';
import { ResultStore, parseRecordFile } from '../harness/cache.ts';
import { sortRecords } from '../harness/results.ts';
import type { ResultRecord } from '../harness/schema.ts';
import type { Scores } from '../harness/scoring.ts';

export const DEFAULT_OUT = 'runs/latest';
// cli-table3 colours its borders and headers itself; plain when piped or NO_COLOR is set.
export const TABLE_STYLE = pc.isColorSupported && process.stdout.isTTY ? { head: ['cyan'] } : { head: [], border: [] };

export const collect = (value: string, previous: string[] = []) => [...previous, value];
export const positiveInt = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
};


export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

export function readResults(path: string): ResultRecord[] {
  if (!existsSync(path)) throw new InputError(`results not found: ${path} (run \`collapse-bench run --out ${path}\` first)`);
  if (path.endsWith('.json')) return [parseRecordFile(path)];
  return sortRecords(new ResultStore(resolve(path)).readAll());
}

export function formatParams(params: Record<string, unknown>): string {
  return Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ');
}

export function paramTable(params: ReturnType<typeof paramInfo>): Table.Table {
  const table = new Table({ head: ['parameter', 'type', 'default', 'description'], colWidths: [18, 10, 10, 70], wordWrap: true, style: TABLE_STYLE });
  for (const p of params) table.push([p.name, p.enum ? p.enum.join('|') : p.type, String(p.default), p.description]);
  return table;
}

export function countStatuses(records: ResultRecord[]): string {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
}

export function printFailures(records: ResultRecord[]): void {
  for (const r of records.filter((r) => r.status === 'failed' || r.status === 'timeout')) {
    console.error(pc.red(`${r.status}: ${r.key.task} × ${r.key.method} seed ${r.key.seed} — ${r.reason}`));
  }
}

export const fmt = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? 'n/a' : x.toFixed(digits));

export function printLeaderboard(scores: Scores): void {
  const table = new Table({ head: ['rank', 'tier', 'entry', 'collapse area (IQM)', '95% CI', 'coverage', 'real/chain', 'time (s)'], style: TABLE_STYLE });
  for (const e of scores.entries) {
    table.push([e.rank, e.tier ?? '—', e.entry, fmt(e.iqm), e.ci ? `[${fmt(e.ci.low)}, ${fmt(e.ci.high)}]` : 'n/a', `${e.coverage.applicable}/${e.coverage.total}`, Math.round(e.realSamplesPerChain), (e.wallMs / 1000).toFixed(2)]);
  }
  console.log(pc.bold('Leaderboard — normalized collapse area, lower is better (real-only = 0, replace = 1)'));
  console.log(table.toString());
}


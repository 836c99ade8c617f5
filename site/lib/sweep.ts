/**
 * Sweeps: which parameters vary across a task's scored settings, per method. A task parameter
 * keeps its name (`samples`); a method parameter is `<method>.<name>` (`fresh-data-mixing.alpha`),
 * as in `--set`. Methods that vary the same dimensions share one phase diagram.
 */
import { canonicalJson } from '../../harness/hash.ts';
import type { SettingScore } from '../../harness/scoring.ts';

export type Coordinate = number | string | boolean;

export interface PhasePoint {
  method: string;
  entry: string;
  setting: string;
  coords: Record<string, Coordinate>;
  /** The seed-averaged final value of the primary metric; null without ok records. */
  value: number | null;
}

export interface PhaseGroup {
  /** Swept dimensions, task parameters first, each in first-seen order. */
  dims: string[];
  /** Method ids, in first-seen order. */
  methods: string[];
  points: PhasePoint[];
}

/** Every parameter of a setting × entry row as one flat coordinate map. */
function coordinates(row: SettingScore): Record<string, Coordinate> {
  const coords: Record<string, Coordinate> = {};
  for (const [k, v] of Object.entries(row.taskParams)) coords[k] = v as Coordinate;
  for (const [k, v] of Object.entries(row.methodParams)) coords[`${row.method}.${k}`] = v as Coordinate;
  return coords;
}

/** Groups a task's score rows by the dimensions each method sweeps; methods that sweep nothing are left out. */
export function phaseGroups(rows: readonly SettingScore[]): PhaseGroup[] {
  const byMethod = new Map<string, SettingScore[]>();
  for (const row of rows) byMethod.set(row.method, [...(byMethod.get(row.method) ?? []), row]);
  const groups = new Map<string, PhaseGroup>();
  for (const [method, mine] of byMethod) {
    const points = mine.map((row) => ({ method, entry: row.entry, setting: row.setting, coords: coordinates(row), value: row.final }));
    const names = [...new Set(points.flatMap((p) => Object.keys(p.coords)))];
    const dims = names.filter((name) => new Set(points.map((p) => canonicalJson(p.coords[name] ?? null))).size > 1);
    if (dims.length === 0) continue;
    const signature = dims.join('\u0000');
    const group = groups.get(signature) ?? { dims, methods: [], points: [] };
    group.methods.push(method);
    group.points.push(...points);
    groups.set(signature, group);
  }
  return [...groups.values()];
}

/** Distinct values of a dimension, numbers ascending, then others as text. */
export function dimValues(points: readonly PhasePoint[], dim: string): Coordinate[] {
  const values = [...new Map(points.map((p) => [canonicalJson(p.coords[dim] ?? null), p.coords[dim]])).values()].filter(
    (v) => v !== undefined,
  );
  return values.sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));
}

/**
 * The nightly's job summary after publishing: the leaderboard of the new run, its reproducing
 * command, and every change against the previous run with its cause.
 *
 *   node --import tsx scripts/ci/publish-summary.ts --results _published/results
 */
import { pathToFileURL } from 'node:url';
import { readIndex, readPublishedRun } from '../../harness/publish.ts';
import { InputError } from '../../harness/params.ts';
import { escapeCell, flushSummary, main, parseFlags, setOutputs, summary } from './github.ts';

const num = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));
const value = (field: string, x: number | null) => (x !== null && (field === 'rank' || field === 'tier') ? String(x) : num(x));

/** Adds the summary of the newest published run; returns its id. */
export function addPublishSummary(results: string): string {
  const latest = readIndex(results).runs[0];
  if (!latest) throw new InputError(`no published run in ${results}`);
  const { manifest, scores } = readPublishedRun(results, latest.id);
  const statuses = Object.entries(manifest.statuses ?? {})
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  summary.addHeading(`Published run ${manifest.id}`, 2);
  summary.addRaw(
    `<p>${manifest.cells} cells (${statuses}) at the ${manifest.profile} profile, commit <code>${escapeCell(manifest.gitCommit ?? 'unknown')}</code>. Reproduce: <code>${escapeCell(manifest.command)}</code></p>`,
    true,
  );
  summary.addTable([
    [
      { data: 'rank', header: true },
      { data: 'tier', header: true },
      { data: 'entry', header: true },
      { data: 'collapse area (IQM) [95% CI]', header: true },
      { data: 'coverage', header: true },
    ],
    ...scores.entries.map((e) => [
      e.rank === null ? '—' : `${e.rank} (on ${e.basis.join(', ')}${e.extraRealData ? ', +real data' : ''})`,
      String(e.tier ?? '—'),
      escapeCell(e.entry),
      e.iqm === null ? 'n/a' : `${num(e.iqm)}${e.ci ? ` [${num(e.ci.low)}, ${num(e.ci.high)}]` : ''}`,
      `${e.coverage.applicable}/${e.coverage.total}`,
    ]),
  ]);
  summary.addHeading(manifest.previous ? `${manifest.changes.length} change(s) since ${manifest.previous}` : 'First published run', 3);
  if (manifest.changes.length) {
    summary.addTable([
      [
        { data: 'entry', header: true },
        { data: 'setting', header: true },
        { data: 'what', header: true },
        { data: 'cause', header: true },
      ],
      ...manifest.changes.map((c) => [
        escapeCell(c.entry),
        escapeCell(c.setting ?? 'all settings'),
        c.field === 'added' || c.field === 'removed' ? c.field : `${c.field}: ${value(c.field, c.before)} → ${value(c.field, c.after)}`,
        escapeCell(c.cause),
      ]),
    ]);
  }
  return manifest.id;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(async () => {
    const id = addPublishSummary(parseFlags(process.argv.slice(2), { results: 'results' }).results);
    setOutputs({ run: id });
    await flushSummary();
  });
}

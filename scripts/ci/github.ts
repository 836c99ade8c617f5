/**
 * The GitHub Actions side of the CI scripts: the job summary and step outputs through
 * @actions/core, guarded so every script also runs outside Actions (then the summary goes to
 * stdout and outputs are skipped, unless CI is set: then a missing GITHUB_OUTPUT is an error),
 * and a tiny flag parser shared by the scripts.
 */
import * as core from '@actions/core';
import { InputError } from '../../harness/params.ts';

export const summary = core.summary;

/**
 * Writes the summary built in `summary` to the job summary (GITHUB_STEP_SUMMARY), or prints it
 * on stdout when that is unset (`summary.write()` throws there). Empties the buffer either way.
 */
export async function flushSummary(): Promise<'job summary' | 'stdout'> {
  if (process.env.GITHUB_STEP_SUMMARY) {
    await summary.write();
    return 'job summary';
  }
  process.stdout.write(summary.stringify());
  summary.emptyBuffer();
  return 'stdout';
}

/** Whether this process runs as a CI step (GitHub Actions sets both; other CI systems set CI). */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.GITHUB_ACTIONS === 'true') return true;
  return env.CI !== undefined && !['', '0', 'false'].includes(env.CI.toLowerCase());
}

/**
 * Sets step outputs (GITHUB_OUTPUT). Outside CI, without GITHUB_OUTPUT, a no-op (a developer's
 * machine). In CI a missing or unwritable GITHUB_OUTPUT is an error: later steps read these
 * outputs to decide what runs, and empty outputs would silently skip them.
 */
export function setOutputs(outputs: Record<string, string>): void {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) {
    if (inCi())
      throw new InputError(
        `cannot set the step outputs ${Object.keys(outputs).join(', ')}: GITHUB_OUTPUT is not set, although this runs in CI (CI or GITHUB_ACTIONS is set)`,
      );
    return;
  }
  try {
    for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value);
  } catch (error) {
    throw new InputError(`cannot write the step outputs to GITHUB_OUTPUT (${file}): ${(error as Error).message}`);
  }
}

/** HTML-escapes text for summary table cells (they are inserted as HTML). */
export function escapeCell(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** `--name value` flags; every flag of `spec` is required unless it has a default. */
export function parseFlags<K extends string>(argv: string[], spec: Record<K, string | null>): Record<K, string> {
  const out: Partial<Record<K, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '') as K;
    if (!argv[i].startsWith('--') || !(name in spec))
      throw new InputError(
        `unknown argument ${JSON.stringify(argv[i])} (expected ${Object.keys(spec)
          .map((k) => `--${k}`)
          .join(', ')})`,
      );
    if (i + 1 >= argv.length) throw new InputError(`--${name} needs a value`);
    out[name] = argv[++i];
  }
  for (const [name, fallback] of Object.entries(spec) as [K, string | null][]) {
    if (out[name] === undefined) {
      if (fallback === null) throw new InputError(`--${name} is required`);
      out[name] = fallback;
    }
  }
  return out as Record<K, string>;
}

/** Runs a script's main, turning input errors into one red line and exit code 2. */
export async function main(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    console.error(`error: ${error.message}`);
    process.exitCode = 2;
  }
}

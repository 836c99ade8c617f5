/**
 * `collapse-bench`: one file per command under scripts/commands/, each a thin layer over
 * harness/. `--json` prints exactly one JSON document on stdout. Input errors — a bad option,
 * a missing argument, a bad `--set`, an unreadable record — print one `error: …` line (and at
 * most a one-line hint) on stderr and exit with 2.
 */
import { Command, CommanderError } from 'commander';
import pc from 'picocolors';
import { readFileSync } from 'node:fs';
import { InputError } from '../harness/params.ts';
import * as list from './commands/list.ts';
import * as run from './commands/run.ts';
import * as score from './commands/score.ts';
import * as verify from './commands/verify.ts';
import * as report from './commands/report.ts';
import * as theory from './commands/theory.ts';
import * as schema from './commands/schema.ts';
import * as newMethod from './commands/new-method.ts';
import * as validate from './commands/validate.ts';
import * as plan from './commands/plan.ts';
import * as merge from './commands/merge.ts';
import * as publish from './commands/publish.ts';

/** Exit status of every input error (usage errors included). */
export const INPUT_ERROR_EXIT = 2;

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('collapse-bench')
  .description('Benchmark suite for model collapse and its mitigations')
  .version(version, '-V, --version', 'print the version')
  // Commander's usage errors come as "error: …" plus, for typos, "(Did you mean …?)" on a
  // second line: joined into one line, and followed by a hint instead of the whole help.
  .configureOutput({
    outputError: (text, write) => write(`${pc.red(text.trim().replace(/\s*\n\s*\(Did you mean (.*)\)$/, ' (did you mean $1)'))}\n`),
  })
  .showHelpAfterError('see collapse-bench --help')
  // Commander exits with 1 on a usage error; thrown instead, so it can exit with 2 like other input errors.
  .exitOverride();

for (const command of [list, run, score, verify, report, theory, schema, newMethod, validate, plan, merge, publish])
  command.register(program);
for (const command of program.commands) command.showHelpAfterError(`see collapse-bench ${command.name()} --help`);

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version come here too, with exit code 0; the message is already printed.
    process.exitCode = error.exitCode === 0 ? 0 : INPUT_ERROR_EXIT;
  } else if (error instanceof InputError) {
    console.error(pc.red(`error: ${error.message}`));
    process.exitCode = INPUT_ERROR_EXIT;
  } else {
    throw error;
  }
}

/**
 * `collapse-bench`: one file per command under scripts/commands/, each a thin layer over
 * harness/. `--json` prints exactly one JSON document on stdout; input errors exit with 2.
 */
import { Command } from 'commander';
import pc from 'picocolors';
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

const program = new Command('collapse-bench')
  .description('Benchmark suite for model collapse and its mitigations')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(pc.red(text)) });

for (const command of [list, run, score, verify, report, theory, schema, newMethod, validate, plan, merge, publish]) command.register(program);

try {
  await program.parseAsync();
} catch (error) {
  if (!(error instanceof InputError)) throw error;
  console.error(pc.red(`error: ${error.message}`));
  process.exitCode = 2;
}

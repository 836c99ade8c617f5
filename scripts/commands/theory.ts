/** `theory`: closed-form curves of a task for given parameters. */
import type { Command } from 'commander';
import { Option } from 'commander';
import pc from 'picocolors';
import { loadRegistry } from '../../harness/registry.ts';
import { planCells } from '../../harness/cells.ts';
import { PROFILES, type Profile } from '../../harness/types.ts';
import { printJson, collect } from '../output.ts';
import { formatParams } from '../../harness/scoring.ts';

export function register(program: Command): void {
  program
    .command('theory')
    .description('closed-form curves of a task for given parameters')
    .requiredOption('--task <id>', 'task id')
    .addOption(new Option('--profile <name>', 'parameter profile').choices(PROFILES as string[]).default('quick'))
    .option('--set <key=value>', 'override a task parameter (repeatable)', collect)
    .option('--json', 'print JSON on stdout')
    .action(async (opts: { task: string; profile: string; set?: string[]; json?: boolean }) => {
      const registry = await loadRegistry();
      const cells = planCells(
        { ...registry, methods: registry.methods.slice(0, 1) },
        { tasks: [opts.task], profile: opts.profile as Profile, seeds: 1, sets: opts.set },
      );
      const out = cells.map((cell) => {
        const task = cell.task.definition;
        return {
          task: task.id,
          params: cell.key.taskParams,
          curves: task.theory ? task.theory(task.params.parse(cell.key.taskParams)) : [],
        };
      });
      if (opts.json) return printJson(out.length === 1 ? out[0] : out);
      for (const { task, params, curves } of out) {
        console.log(`${pc.bold(task)} ${formatParams(params)}`);
        if (curves.length === 0) console.log('  no closed form for these parameters');
        for (const c of curves) console.log(`  ${c.metric}: ${c.label}\n    ${c.values.map((v) => v.toPrecision(5)).join(' ')}`);
      }
    });
}

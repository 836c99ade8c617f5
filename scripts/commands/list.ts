/** `list`: tasks, baselines and methods with their parameters, and the derived applicability matrix. */
import type { Command } from 'commander';
import Table from 'cli-table3';
import pc from 'picocolors';
import { loadRegistry, applicability } from '../../harness/registry.ts';
import { paramInfo } from '../../harness/params.ts';
import { printJson, paramTable, COMPACT_STYLE } from '../output.ts';

export function register(program: Command): void {
  program
    .command('list')
    .description('tasks, baselines and methods, their parameters with defaults, and where each method applies')
    .option('--json', 'print JSON on stdout')
    .action(async (opts: { json?: boolean }) => {
      const registry = await loadRegistry();
      const matrix = applicability(registry);
      const doc = {
        tasks: registry.tasks.map(({ definition: t, folder }) => ({
          id: t.id,
          title: t.title,
          folder,
          stepAxis: t.stepAxis,
          hooks: t.hooks,
          metrics: t.metrics,
          params: paramInfo(t.params),
          profiles: t.profiles,
          papers: t.papers,
          fitOptions: t.fitOptions ? describeFields(t.fitOptions.shape) : [],
          known: t.known ? describeFields(t.known.schema.shape) : [],
        })),
        methods: registry.methods.map(({ definition: m, folder, language }) => ({
          id: m.id,
          kind: m.kind,
          title: m.title,
          folder,
          language: language ?? 'typescript',
          hooks: Object.keys(m.hooks),
          needs: m.needs ?? {},
          params: paramInfo(m.params),
          papers: m.papers,
        })),
        applicability: matrix,
      };
      if (opts.json) return printJson(doc);
      console.log('Set parameters with `collapse-bench run --set <name>=<value>` (task) or `--set <method-id>.<name>=<value>` (method).\n');
      for (const t of doc.tasks) {
        console.log(`${pc.bold(t.id)} — ${t.title}  [${t.stepAxis}; hooks: ${t.hooks.join(', ')}]`);
        console.log(paramTable(t.params).toString());
        for (const [what, fields] of [
          ['fit options', t.fitOptions],
          ['known quantities', t.known],
        ] as const) {
          if (fields.length) console.log(`  ${what}: ${fields.map((f) => `${f.name} (${f.description})`).join('; ')}`);
        }
      }
      for (const m of doc.methods) {
        console.log(
          `${pc.bold(m.id)} (${m.kind}${m.language === 'python' ? ', Python' : ''}) — ${m.title}  [hooks: ${m.hooks.join(', ') || 'none'}]`,
        );
        if (m.params.length) console.log(paramTable(m.params).toString());
      }
      const table = new Table({ head: ['method', ...doc.tasks.map((t) => t.id)], style: COMPACT_STYLE });
      for (const m of doc.methods) table.push([m.id, ...doc.tasks.map((t) => (matrix[t.id][m.id] === null ? 'yes' : 'n/a'))]);
      console.log(pc.bold('applicability'));
      console.log(table.toString());
    });
}

/** Name and description of each field of a declared zod object (fit options, known quantities). */
function describeFields(shape: Record<string, { description?: string }>): { name: string; description: string }[] {
  return Object.entries(shape).map(([name, field]) => ({ name, description: field.description ?? '' }));
}

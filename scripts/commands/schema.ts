/** `schema`: the JSON Schema of result records, for consumers outside TypeScript. */
import type { Command } from 'commander';
import { resultRecordJsonSchema } from '../../harness/schema.ts';
import { printJson } from '../output.ts';

export function register(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of result records')
    .action(() => printJson(resultRecordJsonSchema()));
}

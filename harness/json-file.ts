/**
 * Reading a JSON file that must match a schema, the one way every reader here does it: a file
 * that is not JSON, or the first field that does not match, becomes an InputError naming the file
 * (and the field), never a stack trace.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { InputError } from './params.ts';

/**
 * Reads and validates one JSON file.
 * @param what what the file is, for the message: `${path}: invalid ${what} at field "runs.0.date": …`
 * @throws InputError naming the file, and the first offending field.
 */
export function readJsonFile<T>(path: string, schema: z.ZodType<T>, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InputError(`${path}: invalid ${what} at field "${issue.path.join('.') || '(root)'}": ${issue.message}`);
  }
  return result.data;
}

/**
 * A definition's metadata as text, field by field: what lands in record keys (parameter defaults),
 * labels and pages. The import probe computes it in a sandboxed child with an empty environment and
 * the registry compares it with its own import, so metadata that depends on the environment, the
 * process or the clock (a way to leak a secret into every record key) is refused by name.
 */
import { canonicalJson } from './hash.ts';
import { paramInfo } from './params.ts';
import type { z } from 'zod';

export function definitionMetadata(definition: object): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(definition)) {
    if (typeof value === 'function') continue;
    if (isSchema(value)) {
      fields[key] = canonicalJson(paramInfoSafe(value));
      continue;
    }
    fields[key] = canonicalJson(plain(value));
  }
  return fields;
}

/** The first field whose metadata differs between two imports, or undefined. */
export function metadataDifference(a: Record<string, string>, b: Record<string, string>): string | undefined {
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) if (a[key] !== b[key]) return key;
  return undefined;
}

function isSchema(value: unknown): value is z.ZodType {
  return value !== null && typeof value === 'object' && typeof (value as { safeParse?: unknown }).safeParse === 'function';
}

function paramInfoSafe(schema: z.ZodType): unknown {
  try {
    return paramInfo(schema);
  } catch {
    return 'unrepresentable schema';
  }
}

/** JSON-able view: functions and schemas dropped, schemas inside objects summarized. */
function plain(value: unknown, depth = 0): unknown {
  if (depth > 8 || typeof value === 'function') return undefined;
  if (isSchema(value)) return paramInfoSafe(value);
  if (Array.isArray(value)) return value.map((v) => plain(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
    return Object.fromEntries(
      Object.entries(value)
        .map(([k, v]) => [k, plain(v, depth + 1)])
        .filter(([, v]) => v !== undefined),
    );
  }
  return value;
}

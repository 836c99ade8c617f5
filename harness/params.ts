/**
 * Parameters are typed data: each task and method declares a zod object schema whose fields
 * all have defaults and descriptions. This module describes those fields (for `list` and the
 * site) and turns `--set key=value` strings into validated values with exact error messages.
 */
import { z } from 'zod';

export type ParamValue = number | string | boolean;

export interface ParamInfo {
  name: string;
  type: 'number' | 'integer' | 'string' | 'boolean';
  default: ParamValue | undefined;
  description: string;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

/** Thrown for invalid user input; the message is meant to be shown as is. */
export class InputError extends Error {}

interface JsonSchemaField {
  type?: string;
  default?: ParamValue;
  description?: string;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

/** One ParamInfo per field of an object schema, in declaration order. */
export function paramInfo(schema: z.ZodType): ParamInfo[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonSchemaField> };
  return Object.entries(json.properties ?? {}).map(([name, field]) => ({
    name,
    type: (field.type ?? 'string') as ParamInfo['type'],
    default: field.default,
    description: field.description ?? '',
    ...(field.enum && { enum: field.enum }),
    // zod writes ±MAX_SAFE_INTEGER for unbounded integers; they are not real bounds.
    ...(field.minimum !== undefined && field.minimum > Number.MIN_SAFE_INTEGER && { minimum: field.minimum }),
    ...(field.maximum !== undefined && field.maximum < Number.MAX_SAFE_INTEGER && { maximum: field.maximum }),
    ...(field.exclusiveMinimum !== undefined && { exclusiveMinimum: field.exclusiveMinimum }),
    ...(field.exclusiveMaximum !== undefined && { exclusiveMaximum: field.exclusiveMaximum }),
  }));
}

/** Parses one `--set` string value into the field's type. `owner` is e.g. "task gaussian-chain". */
export function coerceValue(info: ParamInfo, raw: string, setKey: string, owner: string): ParamValue {
  const fail = (why: string): never => {
    throw new InputError(`invalid --set ${setKey}: ${why} (${owner})`);
  };
  switch (info.type) {
    case 'number':
    case 'integer': {
      const value = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(value)) fail(`${JSON.stringify(raw)} is not a number`);
      if (info.type === 'integer' && !Number.isInteger(value)) fail(`${JSON.stringify(raw)} is not an integer`);
      return value;
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') fail(`${JSON.stringify(raw)} is not true or false`);
      return raw === 'true';
    default:
      if (info.enum && !info.enum.includes(raw)) fail(`${JSON.stringify(raw)} is not one of ${info.enum.join(', ')}`);
      return raw;
  }
}

/**
 * Validates fully layered parameters against the schema, reporting the first problem in
 * terms of the user's input: `invalid --set samples: 1 is too small: must be >= 2 (task …)`.
 */
export function validateParams<P>(schema: z.ZodType<P>, values: Record<string, unknown>, owner: string, prefix = ''): P {
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.join('.');
  const value = issue.path.length > 0 ? values[String(issue.path[0])] : undefined;
  const message = issue.message.replace(/^Too (small|big): expected number to be /, 'too $1: must be ');
  throw new InputError(
    `invalid --set ${prefix}${field}: ${JSON.stringify(value)} ${message.startsWith('too') ? 'is ' : '— '}${message} (${owner})`,
  );
}

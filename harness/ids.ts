/**
 * The one rule for task, baseline and method ids, used by discovery (harness/registry.ts), the
 * scaffold (`new-method`) and the CI helper that picks changed methods: ids name folders, record
 * keys, CLI flags and shell words, so they are lowercase letters, digits and single dashes.
 */

/** Lowercase letters and digits in dash-separated words, starting with a letter. */
export const ID_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Longest id accepted: ids become file and folder names and table headers. */
export const MAX_ID_LENGTH = 64;

/** Why `id` is not a valid id, or undefined when it is. */
export function idProblem(id: string): string | undefined {
  if (id.length > MAX_ID_LENGTH) return `id is ${id.length} characters long; at most ${MAX_ID_LENGTH} are allowed`;
  if (!ID_PATTERN.test(id))
    return `id ${JSON.stringify(id)} must be lowercase letters and digits in dash-separated words, starting with a letter (e.g. fresh-data-mixing)`;
  return undefined;
}

/** Whether `id` follows the id rule. */
export function isValidId(id: string): boolean {
  return idProblem(id) === undefined;
}

/** CSV (RFC 4180) for the site's downloads. */

export type CsvValue = string | number | boolean | null | undefined;

/**
 * One field: quoted when it holds a comma, quote or line break. A text field that starts
 * with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` so that spreadsheets show it instead of
 * evaluating it (CSV injection); numbers are written as numbers. null/undefined: empty.
 */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header line and one line per row, CRLF-terminated as RFC 4180 asks. */
export function toCsv(columns: readonly string[], rows: readonly Record<string, CsvValue>[]): string {
  const lines = [columns.map(csvField).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

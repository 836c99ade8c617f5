/**
 * README front matter, read one way everywhere: `validate` checks a method's, the site shows it.
 * The YAML sits between a first line `---` and the next line that is `---` alone (trailing
 * spaces allowed), so a README that `validate` passes is one whose front matter the site finds.
 */
const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/** The front matter's YAML source and the Markdown after it; undefined when the text has none. */
export function splitFrontMatter(text: string): { yaml: string; body: string } | undefined {
  const match = FRONT_MATTER.exec(text);
  return match ? { yaml: match[1], body: text.slice(match[0].length) } : undefined;
}

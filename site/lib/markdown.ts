/**
 * Markdown for READMEs, which arrive in pull requests and are untrusted: raw HTML is never
 * passed through (markdown-it with `html: false` escapes it), links keep only http(s),
 * mailto and in-page targets (relative links become plain text: the site has no page for a
 * source file), and images become their alt text (no third-party requests from the site).
 */
import MarkdownIt, { type Token } from 'markdown-it';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../../harness/params.ts';
import type { MethodReadme } from './model.ts';
import { splitFrontMatter } from '../../harness/front-matter.ts';

/** Options of {@link renderMarkdown}. */
export interface MarkdownOptions {
  /**
   * Added to every heading level (capped at h6), so a README's `#` sits below the page's h1.
   * @default 1
   */
  headingOffset?: number;
}

const SAFE_URL = /^(https?:\/\/|mailto:|#)/i;

/** True for URLs a page may link to: absolute http(s), mailto, or an in-page anchor. */
export function isSafeUrl(url: unknown): url is string {
  return typeof url === 'string' && SAFE_URL.test(url.trim());
}

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });
// Wide README tables (reproduction tables carry whole commands) scroll sideways on their own
// instead of widening the page on a phone.
md.renderer.rules.table_open = () => '<div class="scroll"><table>\n';
md.renderer.rules.table_close = () => '</table></div>\n';

md.core.ruler.push('collapse_bench_untrusted', (state) => {
  for (const block of state.tokens) {
    if (block.type === 'heading_open' || block.type === 'heading_close') {
      const offset = (state.env as { headingOffset?: number } | undefined)?.headingOffset ?? 1;
      const level = Math.min(6, Number(block.tag.slice(1)) + offset);
      block.tag = `h${level}`;
    }
    if (block.type === 'inline' && block.children) block.children = sanitizeInline(block.children, state.Token);
  }
});

/** Unwraps links to unsafe or relative targets and turns images into text. */
function sanitizeInline(children: Token[], TokenClass: typeof Token): Token[] {
  const out: Token[] = [];
  const unwrapped: boolean[] = [];
  for (const token of children) {
    if (token.type === 'link_open') {
      const drop = !isSafeUrl(token.attrGet('href'));
      unwrapped.push(drop);
      if (drop) continue;
    } else if (token.type === 'link_close') {
      if (unwrapped.pop()) continue;
    } else if (token.type === 'image') {
      const text = new TokenClass('text', '', 0);
      text.content = token.content;
      out.push(text);
      continue;
    }
    out.push(token);
  }
  return out;
}

/** Renders untrusted Markdown to HTML that is safe to insert into a page. */
export function renderMarkdown(source: string, options: MarkdownOptions = {}): string {
  return md.render(source, { headingOffset: options.headingOffset ?? 1 });
}

/**
 * Splits a README into YAML front matter and body. No front matter: empty meta.
 * @param file the README's path, for error messages.
 * @throws InputError when the front matter is not valid YAML or not a mapping.
 */
export function parseReadme(text: string, file: string): MethodReadme {
  const split = splitFrontMatter(text);
  if (!split) return { meta: {}, body: text };
  let meta: unknown;
  try {
    meta = parseYaml(split.yaml);
  } catch (error) {
    throw new InputError(`${file}: invalid front matter: ${(error as Error).message.split('\n')[0]}`);
  }
  if (meta === null || meta === undefined) meta = {};
  if (typeof meta !== 'object' || Array.isArray(meta))
    throw new InputError(`${file}: invalid front matter: expected a YAML mapping of fields (title, authors, paper, …)`);
  return { meta: meta as Record<string, unknown>, body: split.body };
}

/** A front-matter field as display text: strings and numbers as is, lists joined; anything else: undefined. */
export function metaText(meta: Record<string, unknown>, field: string): string | undefined {
  const value = meta[field];
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.join(', ');
  return undefined;
}

/** The verdicts a README's reproduction table may give (methods' `## Reproduction` sections). */
export const VERDICTS = ['reproduced', 'partly reproduced', 'not reproduced', 'contradicted'] as const;
export type Verdict = (typeof VERDICTS)[number];

/**
 * A README's `## Reproduction` section (its heading line left out, up to the next level-1 or
 * level-2 heading), and the verdicts of its table: the last cell of each body row, in `verdicts`
 * when it is one of VERDICTS, else in `unknown` (the header and delimiter rows are skipped).
 * Undefined when the README has no such section.
 */
export function reproductionSection(body: string): { markdown: string; verdicts: Verdict[]; unknown: string[] } | undefined {
  const lines = body.split(/\r?\n/);
  const start = lines.findIndex((line) => /^##\s+Reproduction\s*$/i.test(line));
  if (start < 0) return undefined;
  let end = lines.findIndex((line, i) => i > start && /^#{1,2}\s/.test(line));
  if (end < 0) end = lines.length;
  const section = lines.slice(start + 1, end);
  const verdicts: Verdict[] = [];
  const unknown: string[] = [];
  for (const line of section) {
    const row = line.trim();
    // Table rows other than the header (its first cell names the claim) and the delimiter row.
    if (!row.startsWith('|') || /^\|[\s:|-]+$/.test(row) || /^\|\s*claim\b/i.test(row)) continue;
    const last = row
      .replace(/^\||\|$/g, '')
      .split('|')
      .at(-1)!
      .replace(/[*_`]/g, '')
      .trim()
      .toLowerCase();
    if ((VERDICTS as readonly string[]).includes(last)) verdicts.push(last as Verdict);
    else unknown.push(last);
  }
  return { markdown: section.join('\n').trim(), verdicts, unknown };
}

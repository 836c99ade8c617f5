import { describe, expect, it } from 'vitest';
import { isSafeUrl, metaText, parseReadme, renderMarkdown, reproductionSection } from './markdown.ts';

describe('renderMarkdown: untrusted READMEs', () => {
  it('escapes raw HTML, script included, in text, headings and blocks', () => {
    const html = renderMarkdown(
      '# Title <script>alert(1)</script>\n\n<script>alert(2)</script>\n\nText <img src=x onerror=alert(3)> <b>bold</b>',
    );
    expect(html).not.toMatch(/<script|<img|<b>/i);
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(3)&gt;');
  });

  it('keeps http(s) links, drops javascript:, data: and relative targets to plain text', () => {
    const html = renderMarkdown(
      '[paper](https://doi.org/x) [evil](javascript:alert(1)) [data](data:text/html,hi) [src](method.ts) [mail](mailto:a@b.c) [here](#hooks)',
    );
    expect(html).toContain('<a href="https://doi.org/x">paper</a>');
    expect(html).toContain('<a href="mailto:a@b.c">mail</a>');
    expect(html).toContain('<a href="#hooks">here</a>');
    expect(html).not.toMatch(/href="(javascript|data)/i);
    expect(html).toContain(' src ');
  });

  it('turns images into their alt text (no third-party requests)', () => {
    expect(renderMarkdown('![a chart](https://tracker.example/pixel.png)')).toBe('<p>a chart</p>\n');
  });

  it('shifts headings below the page title, capped at h6', () => {
    expect(renderMarkdown('# A\n\n###### B', { headingOffset: 2 })).toBe('<h3>A</h3>\n<h6>B</h6>\n');
  });

  it('escapes code blocks', () => {
    expect(renderMarkdown('```\n<script>x</script>\n```')).toBe('<pre><code>&lt;script&gt;x&lt;/script&gt;\n</code></pre>\n');
  });
});

describe('parseReadme: front matter', () => {
  it('splits YAML front matter from the body', () => {
    const readme = parseReadme('---\ntitle: Mix <b>it</b>\nauthors: [A, B]\npaper: https://x.org\n---\n# Body\n', 'methods/x/README.md');
    expect(readme.meta).toEqual({ title: 'Mix <b>it</b>', authors: ['A', 'B'], paper: 'https://x.org' });
    expect(readme.body).toBe('# Body\n');
    expect(metaText(readme.meta, 'authors')).toBe('A, B');
    expect(metaText(readme.meta, 'missing')).toBeUndefined();
  });

  it('reads a README without front matter as body only', () => {
    expect(parseReadme('# Just text\n', 'f')).toEqual({ meta: {}, body: '# Just text\n' });
  });

  it('refuses invalid front matter, naming the file', () => {
    expect(() => parseReadme('---\ntitle: [unclosed\n---\n', 'methods/x/README.md')).toThrow(
      /^methods\/x\/README\.md: invalid front matter: /,
    );
    expect(() => parseReadme('---\n- a\n- b\n---\n', 'methods/x/README.md')).toThrow(
      'methods/x/README.md: invalid front matter: expected a YAML mapping of fields (title, authors, paper, …)',
    );
  });
});

describe('isSafeUrl', () => {
  it('accepts http(s), mailto and anchors only', () => {
    expect(['https://a.b', 'http://a.b', 'mailto:x@y', '#top'].map(isSafeUrl)).toEqual([true, true, true, true]);
    expect(['javascript:alert(1)', ' JAVASCRIPT:x', 'data:x', '/abs', 'rel.md', '', undefined, null].map(isSafeUrl)).toEqual(
      Array(8).fill(false),
    );
  });
});

describe('reproductionSection: a method README’s verdict table', () => {
  const readme = [
    '# Method',
    'Intro.',
    '',
    '## Reproduction',
    '',
    '| claim (source) | setting and command | measured (95% interval) | verdict |',
    '|---|---|---|---|',
    '| error falls (Thm 1) | `run …` | 0.37 [0.36, 0.38] | **reproduced** |',
    '| twice as fast (Fig. 2) | `run …` | 1.1× [0.9, 1.3] | not reproduced |',
    '| a | b | c | maybe |',
    '',
    'Notes below the table.',
    '### Details',
    'kept',
    '## Parameters',
    'not part of it',
  ].join('\n');

  it('takes the section up to the next level-2 heading and reads the verdict column', () => {
    const section = reproductionSection(readme)!;
    expect(section.verdicts).toEqual(['reproduced', 'not reproduced']);
    expect(section.unknown).toEqual(['maybe']);
    expect(section.markdown.startsWith('| claim (source)')).toBe(true);
    expect(section.markdown).toContain('### Details\nkept');
    expect(section.markdown).not.toContain('Parameters');
  });

  it('is undefined without the section', () => {
    expect(reproductionSection('# Method\n## Measured\n| a | reproduced |')).toBeUndefined();
  });
});

describe('the methods’ READMEs', () => {
  it('every row of a reproduction table ends in one of the four verdicts (the site counts them)', async () => {
    const { readdirSync, readFileSync, existsSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { ROOT } = await import('../../harness/registry.ts');
    let tables = 0;
    for (const id of readdirSync(join(ROOT, 'methods'))) {
      const file = join(ROOT, 'methods', id, 'README.md');
      if (!existsSync(file)) continue;
      const section = reproductionSection(readFileSync(file, 'utf8'));
      if (!section) continue;
      tables++;
      expect(section.unknown, `methods/${id}/README.md`).toEqual([]);
      expect(section.verdicts.length, `methods/${id}/README.md`).toBeGreaterThan(0);
    }
    expect(tables).toBeGreaterThanOrEqual(8);
  });
});

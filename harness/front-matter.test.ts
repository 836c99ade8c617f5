import { describe, expect, it } from 'vitest';
import { splitFrontMatter } from './front-matter.ts';
import { parseReadme } from '../site/lib/markdown.ts';

describe('splitFrontMatter', () => {
  it('splits the YAML between the first two --- lines from the body (LF or CRLF, trailing spaces, end of file)', () => {
    expect(splitFrontMatter('---\ntitle: A\n---\n# Body\n')).toEqual({ yaml: 'title: A', body: '# Body\n' });
    expect(splitFrontMatter('---\r\ntitle: A\r\n---  \r\nBody')).toEqual({ yaml: 'title: A', body: 'Body' });
    expect(splitFrontMatter('---\ntitle: A\n---')).toEqual({ yaml: 'title: A', body: '' });
  });

  it('finds none where the closing line is not --- alone, or the text does not start with ---', () => {
    expect(splitFrontMatter('---\ntitle: A\n----\nBody\n')).toBeUndefined();
    expect(splitFrontMatter('---\ntitle: A\n--- x\nBody\n')).toBeUndefined();
    expect(splitFrontMatter('# Title\n---\ntitle: A\n---\n')).toBeUndefined();
  });

  it('is what the site reads: a README closed by ---- has no front matter there either', () => {
    expect(parseReadme('---\ntitle: A\n----\nBody\n', 'README.md').meta).toEqual({});
    expect(parseReadme('---\ntitle: A\n---\nBody\n', 'README.md')).toEqual({ meta: { title: 'A' }, body: 'Body\n' });
  });
});

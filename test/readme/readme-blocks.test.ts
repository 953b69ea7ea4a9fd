import { describe, expect, it } from 'vitest';
import { jsonDocuments, readmeBlocks } from './readme-blocks.ts';

describe('reading README examples', () => {
  it('finds bash blocks (indented ones too) with the markers above them, and ignores other languages', () => {
    const md = [
      '# Title',
      '```bash',
      'echo one',
      '```',
      '<!-- readme-test: json -->',
      '<!-- readme-test: match: ^ok$ -->',
      '```bash',
      'echo \'{"a": 1}\'',
      '```',
      '```ts',
      'const x = 1;',
      '```',
      '- a list item:',
      '  <!-- readme-test: skip: never ends -->',
      '  ```bash',
      '  sleep infinity',
      '  ```',
      '<!-- readme-test: exit: 1 -->',
      '```bash',
      'false',
      '```',
    ].join('\n');
    const blocks = readmeBlocks(md);
    expect(
      blocks.map((b) => ({ line: b.line, code: b.code, skip: b.skip, json: b.json, exit: b.exit })),
    ).toEqual([
      { line: 2, code: 'echo one', skip: undefined, json: false, exit: 0 },
      { line: 7, code: 'echo \'{"a": 1}\'', skip: undefined, json: true, exit: 0 },
      { line: 15, code: 'sleep infinity', skip: 'never ends', json: false, exit: 0 },
      { line: 19, code: 'false', skip: undefined, json: false, exit: 1 },
    ]);
    expect(blocks[1]!.match.map(String)).toEqual(['/^ok$/m']);
  });

  it('insists on a reason to skip', () => {
    expect(() => readmeBlocks('<!-- readme-test: skip -->\n```bash\nx\n```')).toThrow('needs a reason');
  });

  it('reads a stream of JSON documents, pretty-printed or not', () => {
    expect(jsonDocuments('{"a": 1}\n{\n  "b": [1, 2]\n}\n3\n"x"')).toEqual([{ a: 1 }, { b: [1, 2] }, 3, 'x']);
    expect(() => jsonDocuments('{"a": 1}\nnot json')).toThrow('not JSON');
  });
});

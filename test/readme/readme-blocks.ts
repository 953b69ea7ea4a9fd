/**
 * The README's shell examples, as the README examples test runs them. Every ```bash block is an example;
 * an HTML comment on the line right before its fence says how to check it:
 *
 *   <!-- readme-test: skip: <why> -->   not run (it never ends, or installs or builds things); say why
 *   <!-- readme-test: json -->          stdout is one or more JSON documents, none with a top-level "error"
 *   <!-- readme-test: match: <regex> -->  stdout must match the regular expression (repeat the comment
 *                                       for several)
 *   <!-- readme-test: exit: <N> -->     the exit code to expect (default 0)
 *
 * Without a comment a block must exit 0 and print something.
 */
export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  skip?: string;
  json: boolean;
  match: RegExp[];
  exit: number;
}

const MARKER = /^<!--\s*readme-test:\s*(skip|json|match|exit)\s*(?::\s*(.*?))?\s*-->$/;

export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!;
    let end = i + 1;
    while (end < lines.length && lines[end]!.trim() !== '```') end++;
    if (end >= lines.length) throw new Error(`README line ${i + 1}: code block never closed`);
    if (open[2] === 'bash') {
      const block: ReadmeBlock = {
        line: i + 1,
        code: lines
          .slice(i + 1, end)
          .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
          .join('\n'),
        json: false,
        match: [],
        exit: 0,
      };
      // Marker comments sit directly above the fence (several in a row are allowed).
      for (let j = i - 1; j >= 0; j--) {
        const m = MARKER.exec(lines[j]!.trim());
        if (!m) break;
        const [, kind, arg = ''] = m;
        if (kind === 'skip') {
          if (!arg)
            throw new Error(`README line ${j + 1}: "skip" needs a reason: <!-- readme-test: skip: why -->`);
          block.skip = arg;
        } else if (kind === 'json') block.json = true;
        else if (kind === 'match') block.match.push(new RegExp(arg, 'm'));
        else if (kind === 'exit') block.exit = Number(arg);
      }
      blocks.push(block);
    }
    i = end;
  }
  return blocks;
}

/** Every JSON document in a stream of them (jq prints several; curl one). */
export function jsonDocuments(text: string): unknown[] {
  const docs: unknown[] = [];
  let rest = text.trim();
  while (rest) {
    let parsed = false;
    // Grow the candidate until it parses: documents may span lines (jq pretty-prints).
    for (let end = 1; end <= rest.length; end++) {
      if (end < rest.length && !/[}\]"\d\w]/.test(rest[end - 1]!)) continue;
      try {
        docs.push(JSON.parse(rest.slice(0, end)));
        rest = rest.slice(end).trim();
        parsed = true;
        break;
      } catch {
        // not yet a whole document
      }
    }
    if (!parsed) throw new Error(`not JSON: ${rest.slice(0, 200)}`);
  }
  return docs;
}

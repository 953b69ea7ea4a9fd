/**
 * Decodes a request body the way Ollama's handlers do (gin's ShouldBindJSON over Go's json.Decoder), so a
 * malformed body yields the same 400 text: "missing request body" for an empty one, the decoder's own
 * syntax message ("invalid character 'x' looking for beginning of value", "unexpected EOF") otherwise,
 * and "json: cannot unmarshal ..." when a field has the wrong JSON type.
 */

export type GoDecodeResult = { ok: true; value: unknown } | { ok: false; error: string };

class SyntaxFault extends Error {}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/** Go's quoteChar: the offending character in single quotes, escaped like strconv.Quote. */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const q = JSON.stringify(c);
  return `'${q.slice(1, -1)}'`;
}

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private fail(c: string | undefined, context: string): never {
    if (c === undefined) throw new SyntaxFault('unexpected EOF');
    throw new SyntaxFault(`invalid character ${quoteChar(c)} ${context}`);
  }

  skipSpace() {
    while (this.pos < this.text.length && WHITESPACE.has(this.text[this.pos]!)) this.pos++;
  }

  value() {
    this.skipSpace();
    const c = this.peek();
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    if (c === 't') return this.literal('true');
    if (c === 'f') return this.literal('false');
    if (c === 'n') return this.literal('null');
    this.fail(c, 'looking for beginning of value');
  }

  private object() {
    this.pos++;
    this.skipSpace();
    if (this.peek() === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      this.skipSpace();
      if (this.peek() !== '"') this.fail(this.peek(), 'looking for beginning of object key string');
      this.string();
      this.skipSpace();
      if (this.peek() !== ':') this.fail(this.peek(), 'after object key');
      this.pos++;
      this.value();
      this.skipSpace();
      const c = this.peek();
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return;
      }
      this.fail(c, 'after object key:value pair');
    }
  }

  private array() {
    this.pos++;
    this.skipSpace();
    if (this.peek() === ']') {
      this.pos++;
      return;
    }
    for (;;) {
      this.value();
      this.skipSpace();
      const c = this.peek();
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return;
      }
      this.fail(c, 'after array element');
    }
  }

  private string() {
    this.pos++;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail(c, '');
      this.pos++;
      if (c === '"') return;
      if (c < ' ') this.fail(c, 'in string literal');
      if (c === '\\') {
        const e = this.peek();
        this.pos++;
        if (e === 'u') {
          for (let i = 0; i < 4; i++) {
            const h = this.peek();
            if (h === undefined || !/[0-9a-fA-F]/.test(h))
              this.fail(h, 'in \\u hexadecimal character escape');
            this.pos++;
          }
        } else if (e === undefined || !'"\\/bfnrt'.includes(e)) {
          this.fail(e, 'in string escape code');
        }
      }
    }
  }

  private number() {
    const digit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
    if (this.peek() === '-') {
      this.pos++;
      if (!digit(this.peek())) this.fail(this.peek(), 'in numeric literal');
    }
    if (this.peek() === '0') this.pos++;
    else while (digit(this.peek())) this.pos++;
    if (this.peek() === '.') {
      this.pos++;
      if (!digit(this.peek())) this.fail(this.peek(), 'after decimal point in numeric literal');
      while (digit(this.peek())) this.pos++;
    }
    if (this.peek() === 'e' || this.peek() === 'E') {
      this.pos++;
      if (this.peek() === '+' || this.peek() === '-') this.pos++;
      if (!digit(this.peek())) this.fail(this.peek(), 'in exponent of numeric literal');
      while (digit(this.peek())) this.pos++;
    }
  }

  private literal(word: string) {
    for (let i = 0; i < word.length; i++) {
      const c = this.peek();
      if (c !== word[i]) {
        if (c === undefined) this.fail(c, '');
        this.fail(c, `in literal ${word} (expecting ${quoteChar(word[i]!)})`);
      }
      this.pos++;
    }
  }
}

/**
 * Reads the first JSON value of `text` like json.Decoder.Decode: trailing bytes after it are ignored,
 * an empty or blank body is "missing request body".
 */
export function decodeGoJson(text: string): GoDecodeResult {
  const scanner = new Scanner(text);
  scanner.skipSpace();
  if (scanner.pos >= text.length) return { ok: false, error: 'missing request body' };
  const start = scanner.pos;
  try {
    scanner.value();
  } catch (err) {
    if (err instanceof SyntaxFault) return { ok: false, error: err.message };
    throw err;
  }
  return { ok: true, value: JSON.parse(text.slice(start, scanner.pos)) };
}

/** A Go field type, as the decoder names it in "cannot unmarshal" errors. */
export type GoType =
  | 'string'
  | 'bool'
  | 'int'
  | 'float64'
  | '[]int'
  | 'map[string]interface {}'
  | `[]${string}`;

export interface GoStruct {
  /** The struct's Go name, e.g. "GenerateRequest" (its package is api). */
  name: string;
  fields: Record<string, GoType | GoStruct | { array: GoStruct }>;
}

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

function accepts(type: GoType, v: unknown): boolean {
  if (v === null) return true; // null leaves a Go field at its zero value
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'bool':
      return typeof v === 'boolean';
    case 'int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'float64':
      return typeof v === 'number';
    case 'map[string]interface {}':
      return jsonKind(v) === 'object';
    default:
      return Array.isArray(v) && (type !== '[]int' || v.every((x) => x === null || Number.isInteger(x)));
  }
}

/**
 * Checks the decoded body against the request struct's field types. Returns Go's UnmarshalTypeError
 * text for the first mismatch, or undefined. Unknown fields are ignored, as Go does.
 */
export function checkGoTypes(value: unknown, struct: GoStruct): string | undefined {
  if (value === null) return undefined;
  if (jsonKind(value) !== 'object') {
    return `json: cannot unmarshal ${jsonKind(value)} into Go value of type api.${struct.name}`;
  }
  return checkFields(value as Record<string, unknown>, struct, struct.name);
}

function checkFields(obj: Record<string, unknown>, struct: GoStruct, path: string): string | undefined {
  for (const [key, type] of Object.entries(struct.fields)) {
    const v = obj[key];
    if (v === undefined || v === null) continue;
    const where = `${path}.${key}`;
    if (typeof type === 'string') {
      if (!accepts(type, v)) {
        return `json: cannot unmarshal ${jsonKind(v)} into Go struct field ${where} of type ${type}`;
      }
    } else if ('array' in type) {
      if (!Array.isArray(v)) {
        return `json: cannot unmarshal ${jsonKind(v)} into Go struct field ${where} of type []api.${type.array.name}`;
      }
      for (const item of v) {
        if (item === null) continue;
        if (jsonKind(item) !== 'object') {
          return `json: cannot unmarshal ${jsonKind(item)} into Go struct field ${where} of type api.${type.array.name}`;
        }
        const inner = checkFields(item as Record<string, unknown>, type.array, where);
        if (inner) return inner;
      }
    } else if (jsonKind(v) !== 'object') {
      return `json: cannot unmarshal ${jsonKind(v)} into Go struct field ${where} of type api.${type.name}`;
    } else {
      const inner = checkFields(v as Record<string, unknown>, type, where);
      if (inner) return inner;
    }
  }
  return undefined;
}

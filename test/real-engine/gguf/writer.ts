import { closeSync, openSync, renameSync, writeSync } from 'node:fs';

/**
 * A GGUF v3 file writer (format: ggml-org/ggml docs/gguf.md). Layout, all little-endian:
 *   header      magic "GGUF", u32 version, u64 tensor count, u64 metadata count
 *   metadata    per entry: string key, u32 value type, value
 *   tensor info per tensor: string name, u32 n_dims, u64 dims[n_dims] (innermost first), u32 ggml type,
 *               u64 offset into the data section (a multiple of the alignment)
 *   padding     zeros up to the alignment
 *   data        each tensor's bytes, each padded to the alignment
 * Strings are a u64 byte length then UTF-8 bytes, no terminator.
 */

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const VERSION = 3;
/** general.alignment's default; we write it explicitly anyway so readers need not assume. */
export const ALIGNMENT = 32;

/** gguf_metadata_value_type (the ones we write). */
const ValueType = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;

/** ggml_type of the tensors we write. */
export const GGML_TYPE_F32 = 0;

/** Metadata values, tagged so a number is written with the width llama.cpp expects for that key. */
export type MetaValue =
  | { u32: number }
  | { i32: number }
  | { f32: number }
  | { bool: boolean }
  | { str: string }
  | { strings: readonly string[] }
  | { f32s: Float32Array }
  | { i32s: Int32Array };

export interface TensorSpec {
  name: string;
  /** Innermost dimension first, as GGUF stores them (a [rows × cols] matrix is [cols, rows]). */
  dims: readonly number[];
  /** Fills the tensor's values; called once, in file order, so a seeded PRNG gives the same file. */
  fill(values: Float32Array): void;
}

/** Appends little-endian values to a growing buffer (the header is small; tensor data never goes here). */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void {
    this.room(4);
    this.length = this.buf.writeUInt32LE(v, this.length);
  }
  i32(v: number): void {
    this.room(4);
    this.length = this.buf.writeInt32LE(v, this.length);
  }
  f32(v: number): void {
    this.room(4);
    this.length = this.buf.writeFloatLE(v, this.length);
  }
  u64(v: number): void {
    this.room(8);
    this.length = this.buf.writeBigUInt64LE(BigInt(v), this.length);
  }
  u8(v: number): void {
    this.room(1);
    this.length = this.buf.writeUInt8(v, this.length);
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.bytes(b);
  }
  padTo(alignment: number): void {
    while (this.length % alignment !== 0) this.u8(0);
  }
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeValue(sink: ByteSink, value: MetaValue): void {
  if ('u32' in value) {
    sink.u32(ValueType.UINT32);
    sink.u32(value.u32);
  } else if ('i32' in value) {
    sink.u32(ValueType.INT32);
    sink.i32(value.i32);
  } else if ('f32' in value) {
    sink.u32(ValueType.FLOAT32);
    sink.f32(value.f32);
  } else if ('bool' in value) {
    sink.u32(ValueType.BOOL);
    sink.u8(value.bool ? 1 : 0);
  } else if ('str' in value) {
    sink.u32(ValueType.STRING);
    sink.str(value.str);
  } else if ('strings' in value) {
    sink.u32(ValueType.ARRAY);
    sink.u32(ValueType.STRING);
    sink.u64(value.strings.length);
    for (const s of value.strings) sink.str(s);
  } else if ('f32s' in value) {
    sink.u32(ValueType.ARRAY);
    sink.u32(ValueType.FLOAT32);
    sink.u64(value.f32s.length);
    for (const v of value.f32s) sink.f32(v);
  } else {
    sink.u32(ValueType.ARRAY);
    sink.u32(ValueType.INT32);
    sink.u64(value.i32s.length);
    for (const v of value.i32s) sink.i32(v);
  }
}

function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/**
 * Writes `path` (via a temporary file and a rename, so a reader never sees half a model) and returns its
 * size in bytes. Tensors are F32; each is filled into one reused buffer and written straight out.
 */
export function writeGguf(
  path: string,
  metadata: ReadonlyArray<readonly [string, MetaValue]>,
  tensors: readonly TensorSpec[],
): number {
  const head = new ByteSink();
  head.u32(MAGIC);
  head.u32(VERSION);
  head.u64(tensors.length);
  head.u64(metadata.length + 1);
  head.str('general.alignment');
  writeValue(head, { u32: ALIGNMENT });
  for (const [key, value] of metadata) {
    head.str(key);
    writeValue(head, value);
  }
  let offset = 0;
  for (const t of tensors) {
    head.str(t.name);
    head.u32(t.dims.length);
    for (const d of t.dims) head.u64(d);
    head.u32(GGML_TYPE_F32);
    head.u64(offset);
    offset = alignUp(offset + elementCount(t.dims) * 4, ALIGNMENT);
  }
  head.padTo(ALIGNMENT);

  const largest = Math.max(0, ...tensors.map((t) => elementCount(t.dims)));
  const scratch = new Float32Array(largest);
  const zeros = new Uint8Array(ALIGNMENT);
  const temp = `${path}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w');
  let written = 0;
  // writeSync may write less than asked; loop until the whole chunk is out.
  const put = (bytes: Uint8Array) => {
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    written += bytes.length;
  };
  try {
    put(head.view());
    for (const t of tensors) {
      const values = scratch.subarray(0, elementCount(t.dims));
      t.fill(values);
      put(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      put(zeros.subarray(0, alignUp(values.byteLength, ALIGNMENT) - values.byteLength));
    }
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  return written;
}

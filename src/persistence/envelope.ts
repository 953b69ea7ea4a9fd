import { createHash } from 'node:crypto';

/**
 * What a state file holds. `checksum` covers the JSON text of `payload` exactly as written, so a flipped
 * byte, a hand edit that changes a value, or a lost tail is caught before anything is restored from it.
 */
export interface Envelope<P = unknown> {
  schema_version: number;
  /** ISO time the payload was captured (not when the write finished). */
  saved_at: string;
  /** 'sha256:' + hex digest of JSON.stringify(payload). */
  checksum: string;
  /** Id of the journal checkpoint cut at the same instant as the payload: replay starts after it. */
  journal_checkpoint?: string;
  payload: P;
}

export type DecodeResult =
  | { ok: true; envelope: Envelope }
  | { ok: false; kind: 'corrupt' | 'incompatible'; reason: string };

export function checksumOf(payloadText: string): string {
  return 'sha256:' + createHash('sha256').update(payloadText).digest('hex');
}

/** Throws a TypeError for a payload JSON cannot represent (undefined, a function, a BigInt, a cycle). */
export function stringifyPayload(payload: unknown): string {
  const text = JSON.stringify(payload) as string | undefined;
  if (text === undefined) throw new TypeError('snapshot payload is not JSON-serialisable');
  return text;
}

/**
 * The file's text: one line, payload last. The payload text is spliced in, so the checksum and the file are
 * built from the same string and a large snapshot is not serialised twice.
 */
export function encodeEnvelope(
  payloadText: string,
  meta: { schemaVersion: number; savedAt: string; journalCheckpoint?: string },
): string {
  const head: Omit<Envelope, 'payload'> = {
    schema_version: meta.schemaVersion,
    saved_at: meta.savedAt,
    checksum: checksumOf(payloadText),
  };
  if (meta.journalCheckpoint !== undefined) head.journal_checkpoint = meta.journalCheckpoint;
  return JSON.stringify(head).slice(0, -1) + ',"payload":' + payloadText + '}\n';
}

/**
 * Never throws. A version mismatch is reported as `incompatible` as soon as the version is readable, so an
 * old file says why it was set aside even if other fields changed shape between versions.
 */
export function decodeEnvelope(text: string, schemaVersion: number): DecodeResult {
  if (text.trim() === '') return corrupt('file is empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return corrupt(`not valid JSON (truncated?): ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return corrupt('not a JSON object');
  }
  const e = parsed as Record<string, unknown>;
  if (typeof e.schema_version !== 'number') return corrupt('missing schema_version');
  if (e.schema_version !== schemaVersion) {
    return {
      ok: false,
      kind: 'incompatible',
      reason: `schema_version ${e.schema_version} differs from the supported ${schemaVersion}`,
    };
  }
  if (typeof e.saved_at !== 'string' || Number.isNaN(Date.parse(e.saved_at))) {
    return corrupt('missing or invalid saved_at');
  }
  if (typeof e.checksum !== 'string' || !e.checksum.startsWith('sha256:')) return corrupt('missing checksum');
  if (e.journal_checkpoint !== undefined && typeof e.journal_checkpoint !== 'string') {
    return corrupt('invalid journal_checkpoint');
  }
  if (!('payload' in e) || e.payload === undefined) return corrupt('missing payload');
  // Re-serialising a parsed JSON value reproduces JSON.stringify's original text (same key order, same
  // shortest number form), so this also accepts a file a person pretty-printed without changing values.
  if (checksumOf(JSON.stringify(e.payload)) !== e.checksum) return corrupt('checksum mismatch');
  return { ok: true, envelope: e as unknown as Envelope };
}

function corrupt(reason: string): DecodeResult {
  return { ok: false, kind: 'corrupt', reason };
}

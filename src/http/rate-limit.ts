import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RmmError } from '../manager/errors.ts';
import { bearerToken } from './auth.ts';

export type TakeResult = { ok: true } | { ok: false; retryAfterS: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per client: holds up to `perMinute` tokens (a minute's worth of burst) and refills
 * continuously at perMinute/60 per second. The map of buckets is bounded: when it grows past `maxKeys`,
 * buckets that have refilled completely are dropped (they carry no state), then the oldest.
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {
    this.perMs = perMinute / 60_000;
  }

  take(key: string): TakeResult {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) this.prune(now);
      bucket = { tokens: this.perMinute, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.perMs);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)) };
  }

  get size(): number {
    return this.buckets.size;
  }

  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.perMs >= this.perMinute) this.buckets.delete(key);
    }
    const excess = this.buckets.size - this.maxKeys + 1;
    if (excess <= 0) return;
    let dropped = 0;
    for (const key of this.buckets.keys()) {
      if (dropped++ >= excess) break;
      this.buckets.delete(key);
    }
  }
}

/** Clients are told apart by their bearer token (hashed: raw tokens are never kept), else by address. */
export function clientKey(request: FastifyRequest): string {
  const token = bearerToken(request);
  return token === undefined
    ? `ip:${request.ip}`
    : `tok:${createHash('sha256').update(token).digest('base64url').slice(0, 22)}`;
}

/** onRequest hook: 429 with retry-after when a client's bucket is empty. Routes with `rateLimit: false` pass. */
export function createRateLimitHook(limiter: TokenBucketLimiter) {
  return async function rateLimitHook(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.routeOptions.config.rateLimit === false) return;
    const result = limiter.take(clientKey(request));
    if (result.ok) return;
    reply.header('retry-after', String(result.retryAfterS));
    throw new RmmError('RMM_RATE_LIMITED', `rate limit exceeded; retry in ${result.retryAfterS} s`, {
      retry_after_s: result.retryAfterS,
    });
  };
}

/**
 * A copy of `base` with `fields` set over it: what `{ ...base, key: value }` means, built the way V8 keeps
 * fast on Node 20. There, an object spread followed by more properties takes a slow path: ~1 µs a literal,
 * against ~0.06 µs for this (measured on this machine, a polymorphic call site either way), and the
 * request path built several such objects per request. The result is the same: same keys, same order,
 * later fields winning. Object.assign's one difference, a `__proto__` key setting the copy's prototype
 * instead of becoming a field, cannot arise: request bodies lose such keys when parsed (json-body.ts).
 */
export function withFields<T extends object, F extends object>(base: T, fields: F): Omit<T, keyof F> & F {
  return Object.assign({}, base, fields);
}

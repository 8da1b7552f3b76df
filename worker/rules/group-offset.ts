/**
 * Where in its interval a rule group is evaluated, as Prometheus places it: at an offset given by the xxHash64 of
 * the group's labels `{file, name}` (Prometheus's `labels.Hash`), so groups (and boards) spread over the interval
 * instead of all waking at its multiples.
 */

const MASK = (1n << 64n) - 1n;
const P1 = 11400714785074694791n;
const P2 = 14029467366897019727n;
const P3 = 1609587929392839161n;
const P4 = 9650029242287828579n;
const P5 = 2870177450012600261n;

const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & MASK;
const round = (acc: bigint, input: bigint) => (rotl((acc + input * P2) & MASK, 31n) * P1) & MASK;
const merge = (acc: bigint, value: bigint) => ((acc ^ round(0n, value)) * P1 + P4) & MASK;

/** xxHash64 with seed 0 (the hash Prometheus's labels use). */
export function xxhash64(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (at: number) => view.getBigUint64(at, true);
  const length = bytes.byteLength;
  let at = 0;
  let h: bigint;
  if (length >= 32) {
    let v1 = (P1 + P2) & MASK;
    let v2 = P2;
    let v3 = 0n;
    let v4 = -P1 & MASK;
    for (; at + 32 <= length; at += 32) {
      v1 = round(v1, u64(at));
      v2 = round(v2, u64(at + 8));
      v3 = round(v3, u64(at + 16));
      v4 = round(v4, u64(at + 24));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & MASK;
    for (const v of [v1, v2, v3, v4]) h = merge(h, v);
  } else h = P5;
  h = (h + BigInt(length)) & MASK;
  for (; at + 8 <= length; at += 8) h = (rotl(h ^ round(0n, u64(at)), 27n) * P1 + P4) & MASK;
  if (at + 4 <= length) {
    h = (rotl(h ^ ((BigInt(view.getUint32(at, true)) * P1) & MASK), 23n) * P2 + P3) & MASK;
    at += 4;
  }
  for (; at < length; at++) h = (rotl(h ^ ((BigInt(bytes[at]!) * P5) & MASK), 11n) * P1) & MASK;
  h = ((h ^ (h >> 33n)) * P2) & MASK;
  h = ((h ^ (h >> 29n)) * P3) & MASK;
  return h ^ (h >> 32n);
}

const utf8 = new TextEncoder();

/**
 * A group's offset in its interval, in ms: Prometheus's `hash({file, name}) % interval` (in nanoseconds), to the
 * millisecond below, which is where its evaluation's query time falls.
 */
export function groupOffsetMs(file: string, name: string, intervalMs: number): number {
  // Labels sorted by name, each as its name, 0xff, its value, 0xff.
  const parts = ["file", file, "name", name].map((text) => utf8.encode(text));
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength + 1, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.byteLength;
    bytes[at++] = 0xff;
  }
  return Number((xxhash64(bytes) % (BigInt(intervalMs) * 1_000_000n)) / 1_000_000n);
}

/**
 * Seeded generators of malformed and malicious input: the same seed gives the same inputs, so a failure reproduces.
 */
export type Random = () => number;

/** The tests' seeded generator (mulberry32), so a failing input can be replayed from its seed. */
export { seededRandom as seeded } from "../../seeded-random.ts";

export const int = (random: Random, max: number) => Math.floor(random() * max);
export const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)]!;

/** Strings that break naive parsers: control and format characters, lone surrogates, huge and odd numbers. */
const NASTY = [
  "",
  " ",
  "\u0000",
  "\n",
  "\r\n",
  "\t",
  "\\",
  '"',
  "'",
  ",",
  "=",
  ":",
  "%00",
  "%ff",
  "../../",
  "\ud800",
  "\u202e",
  "\ufeff",
  "😀",
  "NaN",
  "Infinity",
  "-0",
  "1e309",
  "9".repeat(400),
  "0x1f",
  "null",
  "true",
  "[]",
  "{}",
  "__proto__",
  "constructor",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  "$" + "{jndi:ldap://x}",
];

/** A hostile string: a nasty one, a long run, random code points, or several glued. */
export function nastyString(random: Random): string {
  switch (int(random, 5)) {
    case 0:
      return pick(random, NASTY);
    case 1:
      return pick(random, ["x", "é", "\u0000", "9", "%"]).repeat(1 + int(random, 70_000));
    case 2:
      return String.fromCharCode(...Array.from({ length: 1 + int(random, 40) }, () => int(random, 0x10000)));
    case 3:
      return Array.from({ length: 2 + int(random, 4) }, () => pick(random, NASTY)).join("");
    default:
      return `${pick(random, NASTY)}${"a".repeat(int(random, 600))}`;
  }
}

/** A hostile JSON value: wrong types, deep nesting, huge arrays, extreme numbers. */
export function nastyValue(random: Random, depth = 0): unknown {
  switch (int(random, 9)) {
    case 0:
      return nastyString(random);
    case 1:
      return pick(random, [0, -1, 1e308, -1e308, 5e-324, 2 ** 53 + 1, 1.5, -0]);
    case 2:
      return pick(random, [null, true, false]);
    case 3:
      return depth > 3 ? [] : Array.from({ length: int(random, 4) }, () => nastyValue(random, depth + 1));
    case 4:
      return depth > 3 ? {} : { [nastyString(random)]: nastyValue(random, depth + 1) };
    case 5: {
      let nested: unknown = 1;
      for (let i = 0; i < 1 + int(random, 3000); i++) nested = [nested];
      return nested;
    }
    case 6:
      return Array.from({ length: int(random, 20_000) }, () => 1);
    case 7:
      return { __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } };
    default:
      return "";
  }
}

/** A valid body broken at the byte level: cut, flipped, spliced, repeated, or invalid UTF-8 inserted. */
export function mangle(random: Random, valid: Uint8Array): Uint8Array {
  const bytes = Uint8Array.from(valid);
  switch (int(random, 6)) {
    case 0:
      return bytes.subarray(0, int(random, bytes.length));
    case 1:
      for (let i = 0; i < 1 + int(random, 8); i++) bytes[int(random, bytes.length)] = int(random, 256);
      return bytes;
    case 2: {
      const at = int(random, bytes.length);
      const junk = Uint8Array.from({ length: 1 + int(random, 64) }, () => int(random, 256));
      return concat(bytes.subarray(0, at), junk, bytes.subarray(at));
    }
    case 3: {
      const at = int(random, bytes.length);
      return concat(bytes.subarray(0, at), Uint8Array.of(0xc3, 0x28, 0xff, 0xfe), bytes.subarray(at));
    }
    case 4:
      return concat(...Array.from({ length: 2 + int(random, 30) }, () => bytes));
    default:
      return Uint8Array.from({ length: int(random, 2048) }, () => int(random, 256));
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

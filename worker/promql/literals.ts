/** PromQL's literal syntaxes as Prometheus 2.42 reads them: durations, numbers and Go-quoted strings. */

const durationUnits: readonly [string, number][] = [
  ["y", 365 * 24 * 3_600_000],
  ["w", 7 * 24 * 3_600_000],
  ["d", 24 * 3_600_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
];
const durationPattern = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** The longest duration Go's time.Duration holds (int64 nanoseconds), in ms. */
export const MAX_DURATION_MS = 9.2e15;

/** Milliseconds of a duration such as `1h30m`, or undefined when the text is not one (units in order, each once). */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  const m = durationPattern.exec(text);
  if (!m || text === "") return undefined;
  let ms = 0;
  durationUnits.forEach(([, unitMs], i) => {
    const digits = m[i + 1];
    if (digits !== undefined) ms += Number(digits) * unitMs;
  });
  return ms;
}

/** A float literal as Go's ParseFloat (decimal, hex integers, Inf, NaN) reads it; undefined when it is not one. */
export function parseNumber(text: string): number | undefined {
  const lower = text.toLowerCase();
  const sign = lower.startsWith("-") ? -1 : 1;
  const body = lower.replace(/^[+-]/, "");
  if (body === "inf") return sign * Number.POSITIVE_INFINITY;
  if (body === "nan") return Number.NaN;
  if (!/^(?:0x[0-9a-f]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)$/.test(body)) return undefined;
  return sign * Number(body);
}

const simpleEscapes: Readonly<Record<string, string>> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
};

/** The value of a quoted string literal ("…", '…' or `…`) with Go's escapes; throws a message on a bad escape. */
export function unquote(literal: string): string {
  const quote = literal[0];
  if (literal.length < 2 || literal.at(-1) !== quote) throw new Error("unterminated quoted string");
  const body = literal.slice(1, -1);
  if (quote === "`") return body;
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) throw new Error("invalid syntax");
    const simple = simpleEscapes[e];
    if (simple !== undefined) out += simple;
    else if (e === quote) out += e;
    else if (e === "x" || e === "u" || e === "U") {
      const width = e === "x" ? 2 : e === "u" ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + width);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) throw new Error(`invalid escape \\${e}`);
      out +=
        e === "x"
          ? String.fromCharCode(Number.parseInt(hex, 16))
          : String.fromCodePoint(Number.parseInt(hex, 16));
      i += width;
    } else if (e >= "0" && e <= "7") {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) throw new Error("invalid octal escape");
      out += String.fromCharCode(Number.parseInt(oct, 8));
      i += 2;
    } else throw new Error(`unknown escape sequence \\${e}`);
  }
  return out;
}

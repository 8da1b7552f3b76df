import { LABEL_LIMITS, type Labels } from "./labels.ts";

/**
 * Series selectors, after Prometheus' matchers:
 *
 *   selector := "*" | device ":" metric [ "{" [ matcher { "," matcher } [","] ] "}" ]
 *   device   := "*" | a device id           metric := "*" | a metric name (may contain ":")
 *   matcher  := key op string               op := "=" | "!=" | "=~" | "!~"
 *   string   := '"' { char | "\\" | "\"" | "\n" } '"'
 *
 * `=~` and `!~` take a JavaScript regular expression matched against the whole value; a pattern that repeats a
 * group which itself repeats (`(a+)+`, the shape of catastrophic backtracking) is refused. A label a series lacks
 * has the value "". `device:metric` matches every label set of that metric.
 * @example 'sensor-1:http_requests{route="/a",code=~"5.."}'
 */

/** Selects every series of the board. */
export const ALL_SERIES = "*";
/** Selectors one connection or query may hold, and their longest text. */
export const MAX_SELECTORS = 32;
export const MAX_SELECTOR_LENGTH = 512;
/** All of a connection's selectors together (they are kept with its socket, which holds 16 KiB). */
export const MAX_SELECTORS_TEXT = 4096;

/** Whether selectors fit a connection's budget: at most MAX_SELECTORS, MAX_SELECTORS_TEXT chars in all. */
export function selectorsFit(selectors: readonly string[]): boolean {
  let text = 0;
  for (const selector of selectors) text += selector.length;
  return selectors.length <= MAX_SELECTORS && text <= MAX_SELECTORS_TEXT;
}
const MAX_PATTERN_LENGTH = 128;

export type MatchOp = "=" | "!=" | "=~" | "!~";

export interface Matcher {
  key: string;
  op: MatchOp;
  value: string;
}

export interface Selector {
  /** `*` for any. */
  device: string;
  metric: string;
  matchers: Matcher[];
}

/** What a selector is matched against. */
export interface SeriesIdentity {
  device: string;
  metric: string;
  labels?: Labels;
}

class Scanner {
  readonly text: string;
  position = 0;

  constructor(text: string) {
    this.text = text;
  }

  get done(): boolean {
    return this.position >= this.text.length;
  }

  peek(): string {
    return this.text[this.position] ?? "";
  }

  skipSpaces(): void {
    while (this.peek() === " ") this.position++;
  }

  /** Consumes `token` when the text continues with it. */
  take(token: string): boolean {
    if (!this.text.startsWith(token, this.position)) return false;
    this.position += token.length;
    return true;
  }

  /** Consumes characters while `pattern` matches each one. */
  takeWhile(pattern: RegExp): string {
    const start = this.position;
    while (!this.done && pattern.test(this.peek())) this.position++;
    return this.text.slice(start, this.position);
  }

  /** A quoted string with `\\`, `\"` and `\n` escapes; throws on a malformed one. */
  quoted(): string {
    if (!this.take('"')) throw new Error(`expected '"' at ${this.position}`);
    let value = "";
    for (;;) {
      if (this.done) throw new Error("unterminated string");
      const char = this.text[this.position++]!;
      if (char === '"') return value;
      if (char !== "\\") {
        value += char;
        continue;
      }
      const escaped = this.text[this.position++];
      if (escaped === "n") value += "\n";
      else if (escaped === "\\" || escaped === '"') value += escaped;
      else throw new Error(`unknown escape \\${escaped ?? ""}`);
    }
  }
}

/** Whether a regular expression repeats a group that itself repeats (exponential backtracking). */
function nestedRepetition(pattern: string): boolean {
  /** Per open group: whether something inside it repeats. */
  const groups: boolean[] = [];
  let previousWasRepeatingGroup = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    const repeatingGroup = previousWasRepeatingGroup;
    previousWasRepeatingGroup = false;
    if (char === "\\") i++;
    else if (char === "[") {
      // A class: its characters are literals up to the closing bracket.
      for (i++; i < pattern.length && pattern[i] !== "]"; i++) if (pattern[i] === "\\") i++;
    } else if (char === "(") {
      groups.push(false);
      if (pattern[i + 1] === "?") i++;
    } else if (char === ")") {
      const repeats = groups.pop() ?? false;
      if (repeats && groups.length > 0) groups[groups.length - 1] = true;
      previousWasRepeatingGroup = repeats;
    } else if ("*+?{".includes(char)) {
      if (repeatingGroup) return true;
      if (groups.length > 0) groups[groups.length - 1] = true;
    }
  }
  return false;
}

const compiled = new Map<string, RegExp>();

function regex(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, "u");
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

function readMatchers(scanner: Scanner): Matcher[] {
  const matchers: Matcher[] = [];
  for (;;) {
    scanner.skipSpaces();
    if (scanner.done) throw new Error("unterminated {");
    if (scanner.take("}")) return matchers;
    const key = scanner.takeWhile(/[A-Za-z0-9_]/);
    if (!LABEL_LIMITS.keyPattern.test(key)) throw new Error(`bad label key at ${scanner.position}`);
    scanner.skipSpaces();
    const op = (["!=", "=~", "!~", "="] as const).find((candidate) => scanner.take(candidate));
    if (!op) throw new Error(`expected =, !=, =~ or !~ after ${key}`);
    scanner.skipSpaces();
    const value = scanner.quoted();
    if (op === "=~" || op === "!~") {
      if (value.length > MAX_PATTERN_LENGTH)
        throw new Error(`patterns are at most ${MAX_PATTERN_LENGTH} chars`);
      if (nestedRepetition(value)) throw new Error(`pattern ${value} repeats a repeated group`);
      try {
        regex(value);
      } catch {
        throw new Error(`pattern ${value} is not a valid regular expression`);
      }
    }
    matchers.push({ key, op, value });
    scanner.skipSpaces();
    if (!scanner.take(",") && scanner.peek() !== "}" && !scanner.done)
      throw new Error(`expected , or } at ${scanner.position}`);
  }
}

/** Parses a selector; returns an error text instead of throwing. */
export function parseSelector(text: string): Selector | { error: string } {
  if (text === ALL_SERIES) return { device: "*", metric: "*", matchers: [] };
  if (text.length > MAX_SELECTOR_LENGTH)
    return { error: `selectors are at most ${MAX_SELECTOR_LENGTH} chars` };
  const scanner = new Scanner(text);
  const device = scanner.takeWhile(/[A-Za-z0-9_.*-]/);
  if (!device || (device.includes("*") && device !== "*") || !scanner.take(":"))
    return { error: `selector ${JSON.stringify(text)} must start with device: or *:` };
  const metric = scanner.takeWhile(/[A-Za-z0-9_.:*-]/);
  if (!metric || (metric.includes("*") && metric !== "*"))
    return { error: `selector ${JSON.stringify(text)} needs a metric name or *` };
  try {
    const matchers = scanner.take("{") ? readMatchers(scanner) : [];
    if (!scanner.done) throw new Error(`unexpected ${JSON.stringify(scanner.peek())} at ${scanner.position}`);
    return { device, metric, matchers };
  } catch (error) {
    return { error: `selector ${JSON.stringify(text)}: ${(error as Error).message}` };
  }
}

/** The labels in a canonical label text (see `formatLabels`). */
export function parseLabels(text: string): Labels {
  const labels: Labels = {};
  if (text === "") return labels;
  for (const { key, value } of readMatchers(new Scanner(`${text}}`))) labels[key] = value;
  return labels;
}

function matches(matcher: Matcher, labels: Labels | undefined): boolean {
  const value = labels?.[matcher.key] ?? "";
  switch (matcher.op) {
    case "=":
      return value === matcher.value;
    case "!=":
      return value !== matcher.value;
    case "=~":
      return regex(matcher.value).test(value);
    case "!~":
      return !regex(matcher.value).test(value);
  }
}

/** Does a parsed selector match a series? */
export function selectorMatches(selector: Selector, series: SeriesIdentity): boolean {
  return (
    (selector.device === "*" || selector.device === series.device) &&
    (selector.metric === "*" || selector.metric === series.metric) &&
    selector.matchers.every((matcher) => matches(matcher, series.labels))
  );
}

/**
 * Splits a comma-separated list of selectors (as in `?series=a:b,c:d{k="1",j="2"}`) at the commas outside braces
 * and quotes.
 */
export function splitSelectors(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const char = list[i];
    if (quoted) {
      if (char === "\\") i++;
      else if (char === '"') quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === "{") depth++;
    else if (char === "}") depth--;
    else if (char === "," && depth === 0) {
      parts.push(list.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(list.slice(start));
  return parts;
}

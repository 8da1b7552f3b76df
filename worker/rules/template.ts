import { formatGeneral } from "../promql/format.ts";

/**
 * The Go-template forms Prometheus users write in alert labels and annotations, compiled once: text with actions
 * `{{ $labels.name }}` (or `.Labels.name`), `{{ $value }}` (or `.Value`), `{{ $externalLabels.name }}` (always
 * empty), string and number literals, the functions `humanize`, `humanize1024`, `humanizePercentage`, `printf`
 * (`%f`, `%.Nf`, `%g`, `%v`, `%s`, `%d`, `%%`), `toUpper`, `toLower`, pipes (`$value | humanize`), `{{- -}}` trims
 * and Go template comments. A missing label is empty, as Prometheus's `missingkey=zero` gives.
 */
export interface TemplateData {
  labels: Record<string, string>;
  value: number;
}

type Value = number | string;
type Arg = { literal: Value } | { label: string } | { value: true } | { external: true };
type Command = { func: FunctionName | null; args: Arg[] };
type Part = string | Command[];
export type Template = Part[];

const FUNCTIONS = {
  humanize: (v: Value) => humanize(toNumber(v), 1000, ["k", "M", "G", "T", "P", "E", "Z", "Y"]),
  humanize1024: (v: Value) => humanize(toNumber(v), 1024, ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"]),
  humanizePercentage: (v: Value) => `${goPrecision(toNumber(v) * 100, 4)}%`,
  toUpper: (v: Value) => text(v).toUpperCase(),
  toLower: (v: Value) => text(v).toLowerCase(),
  printf: (format: Value, ...args: Value[]) => printf(text(format), args),
} as const;
type FunctionName = keyof typeof FUNCTIONS;

/** Go's %v: floats with the shortest digits (`1e+06` from a million on). */
const text = (v: Value): string => (typeof v === "number" ? formatGeneral(v) : v);

function toNumber(v: Value): number {
  if (typeof v === "number") return v;
  const n = Number(v);
  if (v.trim() === "" || Number.isNaN(n)) throw new Error(`${JSON.stringify(v)} is not a number`);
  return n;
}

/**
 * Whether rounding the exact digits `digits` (no point) to `keep` digits is a tie Go rounds down: the rest is exactly
 * 5 and the kept digit is even (Go rounds ties to even; JavaScript's toFixed and toExponential round them up).
 */
const tieToEven = (digits: string, keep: number) =>
  /^50*$/.test(digits.slice(keep)) && Number(digits[keep - 1] ?? "0") % 2 === 0;

/** Go's `%.<p>f`. */
export function goFixed(v: number, p: number): string {
  const [whole, fraction = ""] = Math.abs(v)
    .toFixed(Math.min(100, p + 60))
    .split(".") as [string, string?];
  if (!tieToEven(whole + fraction, whole.length + p)) return v.toFixed(p);
  return `${v < 0 ? "-" : ""}${whole}${p > 0 ? `.${fraction.slice(0, p)}` : ""}`;
}

/** v.toExponential(p - 1), with Go's rounding of ties. */
function goExponential(v: number, p: number): string {
  const [exactMantissa, exactExponent] = Math.abs(v).toExponential(99).split("e") as [string, string];
  const digits = exactMantissa.replace(".", "");
  if (!tieToEven(digits, p)) return v.toExponential(p - 1);
  const kept = digits.slice(0, p);
  return `${v < 0 ? "-" : ""}${kept[0]}${p > 1 ? `.${kept.slice(1)}` : ""}e${exactExponent}`;
}

/** Go's `%.<p>g`: p significant digits, an exponent below 1e-4 or from 10^p, trailing zeros dropped. */
export function goPrecision(v: number, p: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v === 0) return "0";
  const [mantissa, exponentText] = goExponential(v, p).split("e") as [string, string];
  const exponent = Number(exponentText);
  const strip = (s: string) => (s.includes(".") ? s.replace(/\.?0+$/, "") : s);
  if (exponent < -4 || exponent >= p) {
    const digits = String(Math.abs(exponent)).padStart(2, "0");
    return `${strip(mantissa)}e${exponent < 0 ? "-" : "+"}${digits}`;
  }
  return strip(goFixed(v, Math.max(0, p - 1 - exponent)));
}

/** Prometheus's humanize and humanize1024: SI (or binary) prefixes with four significant digits. */
function humanize(v: number, base: number, big: string[]): string {
  if (v === 0 || !Number.isFinite(v)) return goPrecision(v, 4);
  let prefix = "";
  if (Math.abs(v) >= 1 || base === 1024) {
    for (const p of big) {
      if (Math.abs(v) < base) break;
      prefix = p;
      v /= base;
    }
  } else {
    for (const p of ["m", "u", "n", "p", "f", "a", "z", "y"]) {
      if (Math.abs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return `${goPrecision(v, 4)}${prefix}`;
}

function printf(format: string, args: Value[]): string {
  let next = 0;
  const out = format.replace(/%(\.(\d+))?([fgvsd%])/g, (_, _p, precision: string | undefined, verb) => {
    if (verb === "%") return "%";
    const arg = args[next++];
    if (arg === undefined) return `%!${verb}(MISSING)`;
    if (verb === "s" || verb === "v") return text(arg);
    if (verb === "d") return String(Math.trunc(toNumber(arg)));
    if (verb === "g") return precision ? goPrecision(toNumber(arg), Number(precision)) : text(toNumber(arg));
    return goFixed(toNumber(arg), precision === undefined ? 6 : Number(precision));
  });
  return out;
}

const ARG =
  /^(?:"((?:[^"\\]|\\.)*)"|(-?\d+(?:\.\d+)?)|\$labels\.(\w+)|\.Labels\.(\w+)|\$externalLabels\.(\w+)|(\$value|\.Value))$/;

function parseArg(token: string): Arg {
  const m = ARG.exec(token);
  if (!m) throw new Error(`unsupported argument ${JSON.stringify(token)}`);
  if (m[1] !== undefined) return { literal: JSON.parse(`"${m[1]}"`) as string };
  if (m[2] !== undefined) return { literal: Number(m[2]) };
  if (m[3] ?? m[4]) return { label: (m[3] ?? m[4])! };
  if (m[5]) return { external: true };
  return { value: true };
}

function parseCommand(source: string): Command {
  const tokens = source.match(/"(?:[^"\\]|\\.)*"|[^\s]+/g) ?? [];
  if (tokens.length === 0) throw new Error("empty command");
  const [head, ...rest] = tokens as [string, ...string[]];
  if (head in FUNCTIONS) return { func: head as FunctionName, args: rest.map(parseArg) };
  if (rest.length > 0) throw new Error(`${JSON.stringify(head)} is not a function`);
  return { func: null, args: [parseArg(head)] };
}

/** Compiles a template; throws an Error saying what is not supported or malformed. */
export function compileTemplate(source: string): Template {
  const parts: Template = [];
  let rest = source;
  while (rest.length > 0) {
    const open = rest.indexOf("{{");
    if (open < 0) {
      parts.push(rest);
      break;
    }
    const close = rest.indexOf("}}", open + 2);
    if (close < 0) throw new Error("unclosed action");
    let literal = rest.slice(0, open);
    let action = rest.slice(open + 2, close);
    rest = rest.slice(close + 2);
    if (action.startsWith("- ")) {
      literal = literal.trimEnd();
      action = action.slice(1);
    }
    if (action.endsWith(" -")) {
      rest = rest.trimStart();
      action = action.slice(0, -1);
    }
    if (literal) parts.push(literal);
    action = action.trim();
    if (action.startsWith("/*") && action.endsWith("*/")) continue;
    parts.push(action.split("|").map((command) => parseCommand(command.trim())));
  }
  return parts;
}

function argValue(arg: Arg, data: TemplateData): Value {
  if ("literal" in arg) return arg.literal;
  if ("label" in arg) return data.labels[arg.label] ?? "";
  if ("external" in arg) return "";
  return data.value;
}

/** The template's text for one alert; an error (a label that is not a number to humanize) throws. */
export function expandTemplate(template: Template, data: TemplateData): string {
  let out = "";
  for (const part of template) {
    if (typeof part === "string") {
      out += part;
      continue;
    }
    let piped: Value | undefined;
    for (const { func, args } of part) {
      const values = args.map((arg) => argValue(arg, data));
      if (piped !== undefined) values.push(piped);
      if (func === null) piped = values[0]!;
      else {
        const f = FUNCTIONS[func] as (...v: Value[]) => string;
        if (values.length === 0) throw new Error(`${func} needs an argument`);
        piped = f(...values);
      }
    }
    out += piped === undefined ? "" : text(piped);
  }
  return out;
}

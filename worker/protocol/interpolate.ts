/**
 * Grafana's variable interpolation for PromQL: `$var`, `${var}`, `${var:format}` and the older `[[var]]` in an
 * expression, a legend or a variable's own query become the variable's value. No runtime dependencies.
 *
 * Without a format, the Prometheus data source's rules apply: a variable that takes one value only is inserted as
 * is (backslashes and single quotes escaped); one that may take several (multi or All) is regex-escaped for a
 * string literal and several values become `(a|b)`, made for `label=~"$var"`. All with an `allValue` inserts that
 * as written (`.+`). Formats: `regex` (escaped for a regex, several as `(a|b)`), `pipe` (`a|b`), `csv` (`a,b`),
 * `raw`, `glob` (`{a,b}`), `json`; an unknown one is taken as `glob`, as Grafana does.
 */

/** A variable's value as chosen, and how it may be chosen. */
export interface VariableValue {
  /** The chosen values (All: every option). */
  values: string[];
  /** Whether several values or All may be chosen (the variable is multi or includes All). */
  multi: boolean;
  /** Set when All is chosen and the variable names what All stands for. */
  allValue?: string;
}

/** The variables an interpolation knows, by name (built-ins such as `__interval` included). */
export type Scope = Readonly<Record<string, VariableValue>>;

/** A single value, as built-ins and constants are. */
export const single = (value: string): VariableValue => ({ values: [value], multi: false });

const REFERENCE =
  /\$([A-Za-z_]\w*)|\$\{([A-Za-z_]\w*)(?::([A-Za-z]+))?\}|\[\[([A-Za-z_]\w*)(?::([A-Za-z]+))?\]\]/g;

/** Escapes for a regex inside a PromQL string literal: the backslash itself is doubled (Grafana's "special" escape). */
const promRegexEscape = (value: string) =>
  value.replace(/\\/g, "\\\\\\\\").replace(/[$^*{}[\]'+?.()|]/g, "\\\\$&");
const promEscape = (value: string) => value.replace(/\\/g, "\\\\").replace(/'/g, "\\\\'");
const regexEscape = (value: string) => value.replace(/[\\^$*+?.()|[\]{}/]/g, "\\$&");

const group = (values: string[]) => (values.length === 1 ? values[0]! : `(${values.join("|")})`);

const FORMATS: Record<string, (values: string[]) => string> = {
  regex: (values) => group(values.map(regexEscape)),
  pipe: (values) => values.join("|"),
  csv: (values) => values.join(","),
  raw: (values) => values.join(","),
  glob: (values) => (values.length === 1 ? values[0]! : `{${values.join(",")}}`),
  json: (values) => JSON.stringify(values.length === 1 ? values[0] : values),
};

function format(value: VariableValue, name: string | undefined): string {
  if (value.allValue !== undefined) return value.allValue;
  if (name !== undefined) return (FORMATS[name] ?? FORMATS.glob!)(value.values);
  if (!value.multi) return value.values.map(promEscape).join(",");
  return group(value.values.map(promRegexEscape));
}

/** `text` with every reference to a variable of `scope` replaced; references to others stay as written. */
export function interpolate(text: string, scope: Scope): string {
  return text.replace(REFERENCE, (whole, plain, braced, bracedFormat, old, oldFormat) => {
    const name: string = plain ?? braced ?? old;
    const value = Object.hasOwn(scope, name) ? scope[name] : undefined;
    return value ? format(value, bracedFormat ?? oldFormat) : whole;
  });
}

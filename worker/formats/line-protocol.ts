/**
 * InfluxDB line protocol (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/):
 *
 *   measurement[,tag=value...] field=value[,field=value...] [timestamp]
 *
 * Measurements escape `,` and space with `\`; tag keys, tag values and field keys also escape `=`; string field
 * values are double-quoted and escape `"` and `\`. Field values are floats (`1`, `-1.5`, `2e3`), integers (`1i`),
 * unsigned integers (`1u`), booleans (`t`, `true`, `F`, `False`, ...) or strings. Blank lines and lines starting with
 * `#` are skipped. No maintained parser exists on npm, so this one is ours, and tested hard.
 */

export type FieldValue = number | boolean | string;

export interface Line {
  /** 1-based, for error messages. */
  number: number;
  measurement: string;
  tags: Array<[key: string, value: string]>;
  fields: Array<[key: string, value: FieldValue]>;
  /** Digits as sent (precision decided by the caller), or null when the line has none. */
  timestamp: string | null;
}

export class LineProtocolError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+i$/;
const UNSIGNED = /^\d+u$/;
const TRUE = new Set(["t", "T", "true", "True", "TRUE"]);
const FALSE = new Set(["f", "F", "false", "False", "FALSE"]);
const TIMESTAMP = /^-?\d{1,19}$/;

/** Reads one line; `at` is where the reader stands. */
class LineReader {
  at = 0;
  private readonly text: string;
  private readonly number: number;

  constructor(text: string, number: number) {
    this.text = text;
    this.number = number;
  }

  fail(message: string): never {
    throw new LineProtocolError(this.number, `${message} (column ${this.at + 1})`);
  }

  get done(): boolean {
    return this.at >= this.text.length;
  }

  peek(): string {
    return this.text[this.at] ?? "";
  }

  /** Reads up to an unescaped character of `stops`; `escapable` are the characters a backslash escapes. */
  token(stops: string, escapable: string, what: string): string {
    let value = "";
    while (!this.done) {
      const char = this.text[this.at]!;
      if (char === "\\" && escapable.includes(this.text[this.at + 1] ?? "")) {
        value += this.text[this.at + 1];
        this.at += 2;
        continue;
      }
      if (stops.includes(char)) break;
      value += char;
      this.at++;
    }
    if (value === "") this.fail(`missing ${what}`);
    return value;
  }

  expect(char: string, what: string): void {
    if (this.peek() !== char) this.fail(`expected ${what}`);
    this.at++;
  }

  /** A double-quoted string field value. */
  quoted(): string {
    this.at++;
    let value = "";
    for (;;) {
      if (this.done) this.fail("unterminated string field value");
      const char = this.text[this.at++]!;
      if (char === '"') return value;
      if (char === "\\" && (this.peek() === '"' || this.peek() === "\\")) value += this.text[this.at++];
      else value += char;
    }
  }

  fieldValue(): FieldValue {
    if (this.peek() === '"') return this.quoted();
    const start = this.at;
    while (!this.done && this.peek() !== "," && this.peek() !== " ") this.at++;
    const raw = this.text.slice(start, this.at);
    if (raw === "") this.fail("missing field value");
    if (FLOAT.test(raw)) return Number(raw);
    if (INTEGER.test(raw) || UNSIGNED.test(raw)) return Number(raw.slice(0, -1));
    if (TRUE.has(raw)) return true;
    if (FALSE.has(raw)) return false;
    this.at = start;
    return this.fail(`invalid field value ${JSON.stringify(raw.slice(0, 40))}`);
  }
}

function parseLine(text: string, number: number): Line {
  const reader = new LineReader(text, number);
  const measurement = reader.token(", ", ", ", "measurement");
  const tags: Line["tags"] = [];
  while (reader.peek() === ",") {
    reader.at++;
    const key = reader.token("=, ", ",= ", "tag key");
    reader.expect("=", "= after the tag key");
    tags.push([key, reader.token(", ", ",= ", "tag value")]);
  }
  if (reader.done) reader.fail("missing fields");
  reader.expect(" ", "a space before the fields");
  const fields: Line["fields"] = [];
  for (;;) {
    const key = reader.token("= ,", ",= ", "field key");
    reader.expect("=", "= after the field key");
    fields.push([key, reader.fieldValue()]);
    if (reader.peek() !== ",") break;
    reader.at++;
  }
  let timestamp: string | null = null;
  if (reader.peek() === " ") {
    while (reader.peek() === " ") reader.at++;
    const rest = text.slice(reader.at).trimEnd();
    if (rest !== "") {
      if (!TIMESTAMP.test(rest)) reader.fail(`invalid timestamp ${JSON.stringify(rest.slice(0, 40))}`);
      timestamp = rest;
    }
  } else if (!reader.done) reader.fail(`unexpected ${JSON.stringify(reader.peek())}`);
  return { number, measurement, tags, fields, timestamp };
}

/** Parses a body of lines; throws LineProtocolError naming the first bad line. */
export function parseLineProtocol(body: string): Line[] {
  const lines: Line[] = [];
  const texts = body.split("\n");
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i]!.replace(/\r$/, "").replace(/^[ \t]+/, "");
    if (text === "" || text.startsWith("#")) continue;
    lines.push(parseLine(text, i + 1));
  }
  return lines;
}

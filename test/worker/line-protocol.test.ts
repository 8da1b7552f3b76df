import { describe, expect, it } from "vitest";
import { LineProtocolError, parseLineProtocol } from "../../worker/formats/line-protocol.ts";
import { seededRandom } from "../seeded-random.ts";

const one = (text: string) => parseLineProtocol(text)[0];

describe("line protocol parser", () => {
  it("reads measurement, tags, every field type and the timestamp", () => {
    expect(
      one('cpu,host=a,core=0 user=1.5,idle=98i,free=7u,ok=t,bad=FALSE,note="hi" 1700000000000000000'),
    ).toEqual({
      number: 1,
      measurement: "cpu",
      tags: [
        ["host", "a"],
        ["core", "0"],
      ],
      fields: [
        ["user", 1.5],
        ["idle", 98],
        ["free", 7],
        ["ok", true],
        ["bad", false],
        ["note", "hi"],
      ],
      timestamp: "1700000000000000000",
    });
  });

  it.each([
    ["-1.5", -1.5],
    ["+2", 2],
    ["1e3", 1000],
    ["1.5E-2", 0.015],
    [".5", 0.5],
    ["5.", 5],
    ["-7i", -7],
    ["9007199254740993i", 9007199254740992],
    ["T", true],
    ["True", true],
    ["f", false],
  ])("reads the field value %s", (raw, value) => {
    expect(one(`m v=${raw}`)?.fields).toEqual([["v", value]]);
  });

  it("unescapes commas, spaces and equals signs where each may appear", () => {
    const line = one('my\\ meas\\,ure,tag\\ key\\=1=va\\,l\\ ue fi\\=eld\\ x=1,s="a \\"q\\" \\\\ b"');
    expect(line).toMatchObject({
      measurement: "my meas,ure",
      tags: [["tag key=1", "va,l ue"]],
      fields: [
        ["fi=eld x", 1],
        ["s", 'a "q" \\ b'],
      ],
    });
  });

  it("keeps a backslash that escapes nothing, and commas and spaces inside string values", () => {
    expect(one('m,path=C:\\dir s="a, b c"')).toMatchObject({
      tags: [["path", "C:\\dir"]],
      fields: [["s", "a, b c"]],
    });
  });

  it("skips blank lines, comments, CRLF endings and leading whitespace, counting lines from 1", () => {
    const lines = parseLineProtocol("# comment\r\n\n   m v=1\r\n\tn v=2 5\n\n");
    expect(lines.map((l) => [l.number, l.measurement, l.timestamp])).toEqual([
      [3, "m", null],
      [4, "n", "5"],
    ]);
  });

  it.each([
    ["m", 1, "missing fields"],
    ["m,t=1", 1, "missing fields"],
    ["m v=", 1, "missing field value"],
    ["m =1", 1, "missing field key"],
    ["m,=x v=1", 1, "missing tag key"],
    ["m,t= v=1", 1, "missing tag value"],
    ["m,t v=1", 1, "expected = after the tag key"],
    ["m v=1 abc", 1, "invalid timestamp"],
    ["m v=1 1.5", 1, "invalid timestamp"],
    ["m v=1 123456789012345678901", 1, "invalid timestamp"],
    ['m v="open', 1, "unterminated string"],
    ["m v=1x", 1, "invalid field value"],
    ["m v=yes", 1, "invalid field value"],
    ["m v=1u2", 1, "invalid field value"],
    ["m v=-1u", 1, "invalid field value"],
    ["m v=1,", 1, "missing field key"],
    [",t=1 v=1", 1, "missing measurement"],
    ["ok v=1\nok v=2\nbad v=\nok v=3", 3, "missing field value"],
    ['m v="a"x', 1, "unexpected"],
  ])("refuses %j at line %i: %s", (text, line, message) => {
    let error: unknown;
    try {
      parseLineProtocol(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LineProtocolError);
    expect((error as LineProtocolError).line).toBe(line);
    expect((error as Error).message).toMatch(new RegExp(`^line ${line}: .*${message}`));
  });

  it("never throws anything but LineProtocolError, on thousands of random lines", () => {
    const random = seededRandom(99);
    const alphabet = ["m", ",", "=", " ", '"', "\\", "1", ".", "e", "i", "u", "t", "-", "\n", "#", "x"];
    for (let n = 0; n < 3000; n++) {
      const length = Math.floor(random() * 40);
      const text = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
      try {
        for (const line of parseLineProtocol(text)) {
          expect(line.measurement.length).toBeGreaterThan(0);
          expect(line.fields.length).toBeGreaterThan(0);
        }
      } catch (error) {
        expect(error, JSON.stringify(text)).toBeInstanceOf(LineProtocolError);
      }
    }
  });
});

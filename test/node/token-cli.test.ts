import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureDevSecret, parseDevVars, readSecret } from "../../scripts/dev-vars.ts";
import { ADMIN_TTL_SECONDS, mintToken, VIEWER_TTL_SECONDS } from "../../scripts/mint-token.ts";
import { parseDuration, parseTokenCommand } from "../../scripts/token-command.ts";
import { keyId, verifyToken } from "../../worker/auth/tokens.ts";

const SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef";

describe("parseTokenCommand", () => {
  it("reads a device token request", () => {
    expect(parseTokenCommand(["device", "--board", "demo", "--device", "sensor-1"])).toEqual({
      kind: "mint",
      request: { kind: "device", board: "demo", device: "sensor-1" },
    });
  });

  it("reads a gateway token request, named or not", () => {
    expect(parseTokenCommand(["gateway", "--board", "demo"])).toEqual({
      kind: "mint",
      request: { kind: "gateway", board: "demo", gateway: "gateway" },
    });
    expect(parseTokenCommand(["gateway", "--board", "demo", "--name", "telegraf-1"])).toEqual({
      kind: "mint",
      request: { kind: "gateway", board: "demo", gateway: "telegraf-1" },
    });
  });

  it("reads a viewer token request with a ttl", () => {
    expect(parseTokenCommand(["viewer", "--board", "demo", "--ttl", "12h"])).toEqual({
      kind: "mint",
      request: { kind: "viewer", board: "demo", ttlSeconds: 43_200 },
    });
  });

  it("reads an admin token request", () => {
    expect(parseTokenCommand(["admin", "--board", "demo"])).toEqual({
      kind: "mint",
      request: { kind: "admin", board: "demo" },
    });
  });

  const invalid: Array<[string, string[], string]> = [
    ["no kind", ["--board", "demo"], "exactly one token kind"],
    ["an unknown kind", ["root", "--board", "demo"], 'unknown token kind "root"'],
    ["no board", ["viewer"], "--board is required"],
    ["a bad board", ["viewer", "--board", "a/b"], "--board must match"],
    ["a device token without device", ["device", "--board", "demo"], "--device is required"],
    ["a device id with a colon", ["device", "--board", "demo", "--device", "a:b"], "--device must match"],
    [
      "a viewer token with a device",
      ["viewer", "--board", "demo", "--device", "x"],
      "only applies to device",
    ],
    ["a bad ttl", ["viewer", "--board", "demo", "--ttl", "soon"], '--ttl "soon"'],
    [
      "a device token with a name",
      ["device", "--board", "demo", "--device", "d", "--name", "g"],
      "--name only",
    ],
    ["a gateway token with a device", ["gateway", "--board", "demo", "--device", "d"], "--device only"],
    ["an unknown option", ["viewer", "--board", "demo", "--admin"], "--admin"],
  ];
  for (const [what, argv, message] of invalid) {
    it(`refuses ${what}`, () => {
      const command = parseTokenCommand(argv);
      expect(command.kind).toBe("invalid");
      expect(command.kind === "invalid" && command.error).toContain(message);
    });
  }

  it("parses durations in s, m, h, d, and bare seconds", () => {
    expect(["90", "90s", "15m", "12h", "30d", "0", "1w", "-5"].map(parseDuration)).toEqual([
      90,
      90,
      900,
      43_200,
      2_592_000,
      null,
      null,
      null,
    ]);
  });
});

describe("mintToken", () => {
  const now = Date.UTC(2026, 0, 1);
  const keys = { current: SECRET };

  it("signs viewer tokens that the Worker accepts and that expire after 30 days, naming the signing key", async () => {
    const verification = await verifyToken(
      keys,
      await mintToken(SECRET, { kind: "viewer", board: "demo" }, now),
      now,
    );
    expect(verification).toEqual({
      ok: true,
      claims: {
        kind: "viewer",
        board: "demo",
        iat: now / 1000,
        exp: now / 1000 + VIEWER_TTL_SECONDS,
        kid: await keyId(SECRET),
      },
    });
  });

  it("signs admin tokens that expire after a day by default", async () => {
    const admin = await mintToken(SECRET, { kind: "admin", board: "demo" }, now);
    const verification = await verifyToken(keys, admin, now);
    expect(verification.ok && verification.claims).toMatchObject({
      kind: "admin",
      exp: now / 1000 + ADMIN_TTL_SECONDS,
    });
  });

  it("signs device tokens without expiry unless a ttl is given", async () => {
    const forever = await mintToken(SECRET, { kind: "device", board: "demo", device: "sensor-1" }, now);
    expect(await verifyToken(keys, forever, now)).toMatchObject({
      ok: true,
      claims: { kind: "device", board: "demo", device: "sensor-1", iat: now / 1000 },
    });
    const brief = await mintToken(
      SECRET,
      { kind: "device", board: "demo", device: "s", ttlSeconds: 60 },
      now,
    );
    expect(await verifyToken(keys, brief, now + 61_000)).toEqual({ ok: false, failure: "expired" });
  });
});

describe(".dev.vars", () => {
  const dirs: string[] = [];
  const tempFile = () => {
    const dir = mkdtempSync(join(tmpdir(), "edgepulse-devvars-"));
    dirs.push(dir);
    return join(dir, ".dev.vars");
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("parses KEY=value lines, skipping comments and blanks and removing quotes", () => {
    expect(parseDevVars("# local\n\nA=1\nexport B = \"two words\"\nC='x=y'\r\nnot a line\n")).toEqual({
      A: "1",
      B: "two words",
      C: "x=y",
    });
  });

  it("prefers EDGEPULSE_SECRET from the environment, then the file, and explains when neither has one", () => {
    const path = tempFile();
    expect(() => readSecret({}, path)).toThrow(/run `npm run dev` once, or export EDGEPULSE_SECRET/);
    writeFileSync(path, `EDGEPULSE_SECRET=${SECRET}\n`);
    expect(readSecret({}, path)).toBe(SECRET);
    expect(readSecret({ EDGEPULSE_SECRET: `${SECRET}00` }, path)).toBe(`${SECRET}00`);
    expect(() => readSecret({ EDGEPULSE_SECRET: "short" }, path)).toThrow(/at least 32 characters/);
  });

  it("creates a random 64-hex secret once and never rewrites what is there", () => {
    const path = tempFile();
    writeFileSync(path, "OTHER=kept");
    expect(ensureDevSecret(path)).toBe(true);
    const written = readFileSync(path, "utf8");
    expect(written).toMatch(/^OTHER=kept\nEDGEPULSE_SECRET=[0-9a-f]{64}\n$/);
    expect(ensureDevSecret(path)).toBe(false);
    expect(readFileSync(path, "utf8")).toBe(written);
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keyId, signToken, verifyToken } from "../../worker/auth/tokens.ts";
import { answer, freshBoard, ingest, token } from "./helpers.ts";

const OLD_SECRET = "0123456789abcdef0123456789abcdef-old";
const body = { metrics: { m: 1 } };
const codeOf = async (credential: string) => (await answer(ingest(credential, body))).body.error?.code;

/** Re-signs a token's claims part as given, with the test secret. */
async function signedRaw(claimsPart: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(env.EDGEPULSE_SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`ep1.${claimsPart}`));
  const signature = btoa(String.fromCharCode(...new Uint8Array(mac)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
  return `ep1.${claimsPart}.${signature}`;
}

const base64url = (text: string) => btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

describe("tokens", () => {
  it("answers 401 malformed_token, never 500, to parts of any length (4k+1 included)", async () => {
    const good = await token("device", freshBoard(), "d");
    const [, claims, signature] = good.split(".");
    for (const length of [1, 5, 41, 45, 4 * 300 + 1]) {
      const part = "A".repeat(length);
      expect(await codeOf(`ep1.${part}.${signature}`), `claims of ${length}`).toBe("malformed_token");
      expect(await codeOf(`ep1.${claims}.${part}`), `signature of ${length}`).toBe("malformed_token");
    }
    expect(await codeOf("A".repeat(5_000))).toBe("malformed_token");
    expect(await codeOf(`${good}.x`)).toBe("malformed_token");
  });

  it("accepts only the canonical spelling of each part", async () => {
    const good = await token("device", freshBoard(), "d");
    expect((await ingest(good, body)).status).toBe(202);
    // The signature's last character carries 2 unused bits: the other three spellings decode to the same bytes.
    const last = good.at(-1)!;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const index = alphabet.indexOf(last);
    for (let low = 1; low < 4; low++) {
      const twin = `${good.slice(0, -1)}${alphabet[(index & ~3) | ((index + low) & 3)]}`;
      expect(await codeOf(twin)).toBe("malformed_token");
    }
  });

  it("refuses claims with unknown fields or of the wrong shape, even when signed", async () => {
    const board = freshBoard();
    const iat = Math.floor(Date.now() / 1000);
    const shapes = [
      { kind: "device", board, device: "d", iat, admin: true },
      { kind: "device", board, iat },
      { kind: "viewer", board, device: "d", iat },
      { kind: "root", board, iat },
      { kind: "device", board, device: "d", iat: "now" },
      { kind: "device", board: "a/b", device: "d", iat },
    ];
    for (const claims of shapes)
      expect(await codeOf(await signedRaw(base64url(JSON.stringify(claims)))), JSON.stringify(claims)).toBe(
        "malformed_token",
      );
    const good = { kind: "device", board, device: "d", iat };
    expect((await ingest(await signedRaw(base64url(JSON.stringify(good))), body)).status).toBe(202);
  });

  it("names each refusal: bad signature, expired, unknown key", async () => {
    const board = freshBoard();
    const good = await token("device", board, "d");
    expect(await codeOf(`${good.slice(0, -4)}AAAA`)).toBe("bad_signature");
    const expired = await token("device", board, "d", Math.floor(Date.now() / 1000) - 1);
    expect(await codeOf(expired)).toBe("token_expired");
    const other = await signToken(OLD_SECRET, { kind: "device", board, device: "d", iat: 1 });
    expect(await codeOf(other)).toBe("unknown_key");
  });
});

describe("secret rotation", () => {
  const claims = { kind: "device", board: "b", device: "d", iat: 1 } as const;

  it("verifies tokens of the previous secret during a rotation, and refuses them after", async () => {
    const old = await signToken(OLD_SECRET, claims);
    const current = await signToken(env.EDGEPULSE_SECRET, claims);
    const rotating = { current: env.EDGEPULSE_SECRET, previous: OLD_SECRET };
    expect(await verifyToken(rotating, old)).toMatchObject({
      ok: true,
      claims: { kid: await keyId(OLD_SECRET) },
    });
    expect(await verifyToken(rotating, current)).toMatchObject({ ok: true });
    expect(await verifyToken({ current: env.EDGEPULSE_SECRET }, old)).toEqual({
      ok: false,
      failure: "unknown_key",
    });
  });

  it("checks a token without a key id (minted before key ids) against the current secret", async () => {
    const legacy = await signedRaw(base64url(JSON.stringify(claims)));
    expect(await verifyToken({ current: env.EDGEPULSE_SECRET, previous: OLD_SECRET }, legacy)).toMatchObject({
      ok: true,
    });
  });
});

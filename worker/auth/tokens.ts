/**
 * Stateless credentials: `ep1.<base64url(claims JSON)>.<base64url(HMAC-SHA256)>`, canonical base64url only.
 * Verified with WebCrypto only, so the Worker rejects a bad token before any Durable Object is touched.
 * Runs unchanged in workerd and Node (the token CLI).
 */
import * as v from "valibot";
import { toBase64Url } from "../protocol/base64.ts";

/**
 * A device posts into one board as itself; a gateway (an agent forwarding many hosts) posts for any device of one
 * board; a viewer reads one board; a ticket is a viewer credential for about a minute; an admin manages one board
 * (and reads it).
 */
export type TokenKind = "device" | "gateway" | "viewer" | "ticket" | "admin";
export const TOKEN_KINDS: readonly TokenKind[] = ["device", "gateway", "viewer", "ticket", "admin"];

export interface TokenClaims {
  kind: TokenKind;
  board: string;
  /** Present on device tokens. */
  device?: string;
  /** A gateway's name, scoping its idempotency keys. */
  gateway?: string;
  /** Issued at, seconds since the Unix epoch. */
  iat: number;
  /** Expiry, seconds since the Unix epoch; absent means no expiry. */
  exp?: number;
  /** Which secret signed it (see `keyId`); tokens minted before key ids have none and are checked with the current. */
  kid?: string;
}

/** Why a token is refused; each has its own error code. */
export type TokenFailure = "malformed" | "bad_signature" | "expired" | "unknown_key";

export type Verification = { ok: true; claims: TokenClaims } | { ok: false; failure: TokenFailure };

/** The secrets tokens may be signed with: the current one signs; the previous one still verifies during a rotation. */
export interface SigningKeys {
  current: string;
  previous?: string | undefined;
}

const PREFIX = "ep1";
export const BOARD_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** No `:` in device ids: selectors split `device:metric` at the first colon. */
export const DEVICE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** The secret must carry at least 128 bits when written as hex. */
export const MIN_SECRET_LENGTH = 32;
/** Longer tokens are not ours: refused before any decoding. */
export const MAX_TOKEN_LENGTH = 1024;
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{8}$/;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const hmacKeys = new Map<string, Promise<CryptoKey>>();
const keyIds = new Map<string, Promise<string>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    hmacKeys.set(secret, key);
  }
  return key;
}

/** A secret's public name: 8 base64url characters of its SHA-256, so a token says which secret signed it. */
export function keyId(secret: string): Promise<string> {
  let id = keyIds.get(secret);
  if (!id) {
    id = crypto.subtle
      .digest("SHA-256", encoder.encode(`edgepulse key id:${secret}`))
      .then((digest) => toBase64Url(new Uint8Array(digest)).slice(0, 8));
    keyIds.set(secret, id);
  }
  return id;
}

/** Decodes unpadded base64url, and only its one canonical spelling (unused low bits zero), else null. */
function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return toBase64Url(bytes) === text ? bytes : null;
}

const Seconds = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const Name = v.pipe(v.string(), v.regex(DEVICE_PATTERN));
const common = {
  board: v.pipe(v.string(), v.regex(BOARD_PATTERN)),
  iat: Seconds,
  exp: v.optional(Seconds),
  kid: v.optional(v.pipe(v.string(), v.regex(KEY_ID_PATTERN))),
};
/** Exactly these fields, each of its type: a device token names its device, a gateway token its gateway. */
const Claims = v.variant("kind", [
  v.strictObject({ kind: v.literal("device"), device: Name, ...common }),
  v.strictObject({ kind: v.literal("gateway"), gateway: Name, ...common }),
  v.strictObject({ kind: v.picklist(["viewer", "ticket", "admin"]), ...common }),
]);

/** The claims a well-formed token carries, whatever its signature. */
function parseClaims(bytes: Uint8Array): TokenClaims | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    return null;
  }
  const result = v.safeParse(Claims, parsed);
  return result.success ? result.output : null;
}

export function assertSecret(
  secret: string | undefined,
  name = "EDGEPULSE_SECRET",
): asserts secret is string {
  if (!secret || secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`${name} must be set to at least ${MIN_SECRET_LENGTH} characters`);
  }
}

/** Signs claims into a token, naming the secret that signed it. */
export async function signToken(secret: string, claims: Omit<TokenClaims, "kid">): Promise<string> {
  const body = toBase64Url(encoder.encode(JSON.stringify({ ...claims, kid: await keyId(secret) })));
  const signed = `${PREFIX}.${body}`;
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(signed));
  return `${signed}.${toBase64Url(new Uint8Array(signature))}`;
}

/** The secret a token's key id names: the current or the previous; one without a key id is the current's. */
async function signingSecret(keys: SigningKeys, kid: string | undefined): Promise<string | null> {
  if (kid === undefined || kid === (await keyId(keys.current))) return keys.current;
  if (keys.previous !== undefined && kid === (await keyId(keys.previous))) return keys.previous;
  return null;
}

/** Checks a token: well formed, signed by a key still accepted, unexpired at `now` (ms). */
export async function verifyToken(keys: SigningKeys, token: string, now = Date.now()): Promise<Verification> {
  const parts = token.length <= MAX_TOKEN_LENGTH ? token.split(".") : [];
  if (parts.length !== 3 || parts[0] !== PREFIX) return { ok: false, failure: "malformed" };
  const body = fromBase64Url(parts[1]!);
  const signature = fromBase64Url(parts[2]!);
  const claims = body && parseClaims(body);
  if (!claims || signature?.length !== 32) return { ok: false, failure: "malformed" };
  const secret = await signingSecret(keys, claims.kid);
  if (secret === null) return { ok: false, failure: "unknown_key" };
  const valid = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(secret),
    signature,
    encoder.encode(`${PREFIX}.${parts[1]}`),
  );
  if (!valid) return { ok: false, failure: "bad_signature" };
  if (claims.exp !== undefined && claims.exp * 1000 <= now) return { ok: false, failure: "expired" };
  return { ok: true, claims };
}

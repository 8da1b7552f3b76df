/**
 * Stateless credentials: `ep1.<base64url(claims JSON)>.<base64url(HMAC-SHA256)>`.
 * Verified with WebCrypto only, so the Worker rejects a bad token before any Durable Object is touched.
 * Runs unchanged in workerd and Node (the token CLI).
 */

/**
 * A device posts into one board as itself; a gateway (an agent forwarding many hosts) posts for any device of one
 * board; a viewer reads one board; a ticket is a viewer credential for about a minute.
 */
export type TokenKind = "device" | "gateway" | "viewer" | "ticket";

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
}

const PREFIX = "ep1";
export const BOARD_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** No `:` in device ids: selectors split `device:metric` at the first colon. */
export const DEVICE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** The secret must carry at least 128 bits when written as hex. */
export const MIN_SECRET_LENGTH = 32;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

export function assertSecret(secret: string | undefined): asserts secret is string {
  if (!secret || secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`EDGEPULSE_SECRET must be set to at least ${MIN_SECRET_LENGTH} characters`);
  }
}

/** Signs claims into a token. */
export async function signToken(secret: string, claims: TokenClaims): Promise<string> {
  const body = toBase64Url(encoder.encode(JSON.stringify(claims)));
  const signed = `${PREFIX}.${body}`;
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(signed));
  return `${signed}.${toBase64Url(new Uint8Array(signature))}`;
}

/** Returns the claims of a well-signed, unexpired token, or null. `now` is in ms. */
export async function verifyToken(
  secret: string,
  token: string,
  now = Date.now(),
): Promise<TokenClaims | null> {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== PREFIX) return null;
  const signature = fromBase64Url(parts[2]!);
  const body = fromBase64Url(parts[1]!);
  if (!signature || !body) return null;
  const valid = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(secret),
    signature,
    encoder.encode(`${PREFIX}.${parts[1]}`),
  );
  if (!valid) return null;
  let claims: TokenClaims;
  try {
    claims = JSON.parse(decoder.decode(body)) as TokenClaims;
  } catch {
    return null;
  }
  if (claims.exp !== undefined && claims.exp * 1000 <= now) return null;
  return claims;
}

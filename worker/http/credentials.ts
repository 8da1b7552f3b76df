import {
  MAX_TOKEN_LENGTH,
  type SigningKeys,
  type TokenClaims,
  type TokenFailure,
  type TokenKind,
  type Verification,
  verifyToken,
} from "../auth/tokens.ts";
import type { Env } from "../env.ts";
import { TOKEN_SUBPROTOCOL_PREFIX } from "../protocol/index.ts";
import { ApiError } from "./errors.ts";

/** Tokens already verified in this isolate; devices repeat theirs on every post. Changing a secret redeploys. */
const verified = new Map<string, TokenClaims>();
const VERIFIED_CACHE_SIZE = 1024;

/** The secrets tokens may be signed with (see "Rotating the secret" in the README). */
export function signingKeys(env: Env): SigningKeys {
  return { current: env.EDGEPULSE_SECRET, previous: env.EDGEPULSE_SECRET_PREVIOUS || undefined };
}

async function verifyCached(keys: SigningKeys, token: string): Promise<Verification> {
  const cached = verified.get(token);
  if (cached) {
    const live = cached.exp === undefined || cached.exp * 1000 > Date.now();
    return live ? { ok: true, claims: cached } : { ok: false, failure: "expired" };
  }
  const verification = await verifyToken(keys, token);
  if (verification.ok) {
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(token, verification.claims);
  }
  return verification;
}

/**
 * Tokens that keep failing, per isolate, counted per address and token: past FAILURES_PER_WINDOW refusals in a
 * window, that token from that address gets 429 before any signature is checked, so a device retrying a corrupted
 * token costs a map lookup each. Every other token from the same address (its neighbours behind a NAT) is checked
 * as usual and passes if good; good credentials never count.
 */
class FailingCredentials {
  private readonly windows = new Map<string, { start: number; count: number }>();

  note(key: string, now = Date.now()): void {
    const window = this.windows.get(key);
    if (!window || now - window.start >= FAILURE_WINDOW_MS) {
      // Tokens are at most MAX_TOKEN_LENGTH (1 KiB): this bounds the map to a few MiB.
      if (this.windows.size >= 4_096) this.windows.clear();
      this.windows.set(key, { start: now, count: 1 });
    } else window.count++;
  }

  blocked(key: string, now = Date.now()): boolean {
    const window = this.windows.get(key);
    return (
      window !== undefined && now - window.start < FAILURE_WINDOW_MS && window.count >= FAILURES_PER_WINDOW
    );
  }
}

export const FAILURES_PER_WINDOW = 50;
const FAILURE_WINDOW_MS = 10_000;
const failures = new FailingCredentials();

/** A refused token from an address (longer tokens are refused unread, so one key stands for them all). */
function failureKey(address: string, token: string): string {
  return `${address} ${token.length <= MAX_TOKEN_LENGTH ? token : "(too long)"}`;
}

const REFUSALS: Record<TokenFailure, [code: string, message: string]> = {
  malformed: [
    "malformed_token",
    "token is not an edgepulse token (ep1.<claims>.<signature>, canonical base64url)",
  ],
  bad_signature: ["bad_signature", "token signature does not match: minted with another secret, or altered"],
  expired: ["token_expired", "token has expired; mint a new one"],
  unknown_key: ["unknown_key", "token was signed with a secret no longer accepted; mint a new one"],
};

/** Who may read a board: viewers, the tickets they mint, and its admins. */
export const VIEWER_KINDS: readonly TokenKind[] = ["viewer", "ticket", "admin"];

/** The password of HTTP Basic credentials (agents such as Telegraf's InfluxDB v1 output send the token there). */
function basicPassword(credentials: string): string {
  try {
    const decoded = atob(credentials);
    return decoded.slice(decoded.indexOf(":") + 1);
  } catch {
    return "";
  }
}

/** A request's token and whether it came in the URL (`?ticket=`), where only tickets may travel. */
interface PresentedToken {
  token: string;
  inUrl: boolean;
}

/**
 * Where a request may carry its token: the Authorization header always (`Bearer`, InfluxDB's `Token`, or Basic
 * with the token as password); sockets a `bearer.` subprotocol; sockets and streams a `?ticket=` in the URL.
 */
function presentedToken(request: Request): PresentedToken | null {
  const header = request.headers.get("authorization");
  if (header) {
    const [, scheme, credentials] = /^(Bearer|Token|Basic)\s+(\S+)$/i.exec(header) ?? [];
    if (scheme?.toLowerCase() === "basic") return { token: basicPassword(credentials!), inUrl: false };
    return { token: credentials ?? "", inUrl: false };
  }
  const protocols = request.headers.get("sec-websocket-protocol");
  for (const protocol of protocols?.split(",") ?? []) {
    const trimmed = protocol.trim();
    if (trimmed.startsWith(TOKEN_SUBPROTOCOL_PREFIX))
      return { token: trimmed.slice(TOKEN_SUBPROTOCOL_PREFIX.length), inUrl: false };
  }
  const ticket = new URL(request.url).searchParams.get("ticket");
  return ticket === null ? null : { token: ticket, inUrl: true };
}

/** The token a request presents, wherever it carries it (see `presentedToken`). */
export function bearerToken(request: Request): string | null {
  return presentedToken(request)?.token ?? null;
}

/**
 * Verifies the request's token and that it grants `kinds` on `board` (any board when omitted).
 * 401 when the token is missing or bad, or is not a ticket but came in the URL; 403 when it is good but not for this.
 */
export async function authorize(
  request: Request,
  env: Env,
  kinds: readonly TokenKind[],
  board?: string,
): Promise<TokenClaims> {
  const presented = presentedToken(request);
  if (presented === null) {
    throw new ApiError(401, "missing_token", "send a token as Authorization: Bearer <token>");
  }
  const { token, inUrl } = presented;
  const failing = failureKey(request.headers.get("cf-connecting-ip") ?? "local", token);
  if (!verified.has(token) && failures.blocked(failing))
    throw new ApiError(
      429,
      "too_many_failures",
      "this token was refused too often from this address; retry later",
      undefined,
      { "retry-after": String(FAILURE_WINDOW_MS / 1000) },
    );
  const verification = await verifyCached(signingKeys(env), token);
  if (!verification.ok) {
    failures.note(failing);
    throw new ApiError(401, ...REFUSALS[verification.failure]);
  }
  const { claims } = verification;
  // URLs end up in logs, histories and Referer headers: only a ticket, valid a minute, may travel in one.
  if (inUrl && claims.kind !== "ticket")
    throw new ApiError(
      401,
      "wrong_token_kind",
      `a ${claims.kind} token goes in the Authorization header; only tickets go in a URL`,
      "ticket",
    );
  if (!kinds.includes(claims.kind)) {
    throw new ApiError(
      403,
      "wrong_token_kind",
      `a ${claims.kind} token cannot do this; use a ${kinds[0]} token`,
    );
  }
  if (board !== undefined && claims.board !== board) {
    throw new ApiError(403, "wrong_board", `token is for board ${claims.board}, not ${board}`);
  }
  return claims;
}

/** Applies a rate limiting binding; 429 with Retry-After past the limit. */
export async function enforceRateLimit(limiter: RateLimit, key: string, what: string): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success)
    throw new ApiError(429, "rate_limited", `too many ${what}; retry later`, undefined, {
      "retry-after": "10",
    });
}

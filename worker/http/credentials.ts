import {
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
 * Addresses whose credentials keep failing, per isolate: past FAILURES_PER_WINDOW refusals in a window, they get 429
 * before any signature is checked, so a flood of forged tokens costs a map lookup each. Good credentials never count.
 */
class FailingAddresses {
  private readonly windows = new Map<string, { start: number; count: number }>();

  note(address: string, now = Date.now()): void {
    const window = this.windows.get(address);
    if (!window || now - window.start >= FAILURE_WINDOW_MS) {
      if (this.windows.size >= 10_000) this.windows.clear();
      this.windows.set(address, { start: now, count: 1 });
    } else window.count++;
  }

  blocked(address: string, now = Date.now()): boolean {
    const window = this.windows.get(address);
    return (
      window !== undefined && now - window.start < FAILURE_WINDOW_MS && window.count >= FAILURES_PER_WINDOW
    );
  }
}

export const FAILURES_PER_WINDOW = 50;
const FAILURE_WINDOW_MS = 10_000;
const failures = new FailingAddresses();

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

/**
 * Where a request may carry its token: the Authorization header always (`Bearer`, InfluxDB's `Token`, or Basic
 * with the token as password); sockets and streams have more.
 */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  if (header) {
    const [, scheme, credentials] = /^(Bearer|Token|Basic)\s+(\S+)$/i.exec(header) ?? [];
    if (scheme?.toLowerCase() === "basic") return basicPassword(credentials!);
    return credentials ?? "";
  }
  const protocols = request.headers.get("sec-websocket-protocol");
  for (const protocol of protocols?.split(",") ?? []) {
    const trimmed = protocol.trim();
    if (trimmed.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return trimmed.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  }
  return new URL(request.url).searchParams.get("ticket");
}

/**
 * Verifies the request's token and that it grants `kinds` on `board` (any board when omitted).
 * 401 when the token is missing or bad, 403 when it is good but not for this.
 */
export async function authorize(
  request: Request,
  env: Env,
  kinds: readonly TokenKind[],
  board?: string,
): Promise<TokenClaims> {
  const token = bearerToken(request);
  if (token === null) {
    throw new ApiError(401, "missing_token", "send a token as Authorization: Bearer <token>");
  }
  const address = request.headers.get("cf-connecting-ip") ?? "local";
  if (failures.blocked(address))
    throw new ApiError(
      429,
      "too_many_failures",
      "too many refused credentials from this address; retry later",
      undefined,
      {
        "retry-after": String(FAILURE_WINDOW_MS / 1000),
      },
    );
  const verification = await verifyCached(signingKeys(env), token);
  if (!verification.ok) {
    failures.note(address);
    throw new ApiError(401, ...REFUSALS[verification.failure]);
  }
  const { claims } = verification;
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

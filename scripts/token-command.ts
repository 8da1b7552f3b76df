import { parseArgs } from "node:util";
import { BOARD_PATTERN, DEVICE_PATTERN } from "../worker/auth/tokens.ts";
import type { MintRequest } from "./mint-token.ts";

export const TOKEN_USAGE = `usage:
  npm run token -- device --board <board> --device <device> [--ttl <duration>]
  npm run token -- gateway --board <board> [--name <gateway>] [--ttl <duration>]
  npm run token -- viewer --board <board> [--ttl <duration>]
  npm run token -- admin --board <board> [--ttl <duration>]
A gateway token posts for any device of its board (an agent forwarding many hosts); --name (default "gateway")
scopes its idempotency keys.
An admin token manages its board (devices, revocation, limits: README "Admin API").
durations: 90s, 15m, 12h, 30d (viewer tokens default to 30d, admin tokens to 1d; device and gateway tokens never
expire unless --ttl)`;

export type TokenCommand =
  | { kind: "mint"; request: MintRequest }
  | { kind: "help" }
  | { kind: "invalid"; error: string };

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `30d` → 2592000; a bare number is seconds; null for anything else. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)([smhd]?)$/.exec(text);
  if (!match) return null;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] || "s"]!;
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : null;
}

/** Reads the token CLI's arguments (after `--`) into a mint request, or says what is wrong with them. */
export function parseTokenCommand(argv: string[]): TokenCommand {
  let parsed: ReturnType<typeof parseWith>;
  try {
    parsed = parseWith(argv);
  } catch (error) {
    return { kind: "invalid", error: (error as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (positionals.length !== 1)
    return { kind: "invalid", error: "name exactly one token kind: device, gateway, viewer or admin" };
  const kind = positionals[0];
  if (kind !== "device" && kind !== "gateway" && kind !== "viewer" && kind !== "admin")
    return { kind: "invalid", error: `unknown token kind "${kind}"` };
  if (!values.board) return { kind: "invalid", error: "--board is required" };
  if (!BOARD_PATTERN.test(values.board))
    return { kind: "invalid", error: `--board must match ${BOARD_PATTERN}` };

  const ttlSeconds = values.ttl === undefined ? undefined : parseDuration(values.ttl);
  if (ttlSeconds === null)
    return { kind: "invalid", error: `--ttl "${values.ttl}" is not a duration like 30d` };
  const ttl = ttlSeconds === undefined ? {} : { ttlSeconds };

  if (kind !== "device" && values.device !== undefined)
    return { kind: "invalid", error: "--device only applies to device tokens" };
  if (kind !== "gateway" && values.name !== undefined)
    return { kind: "invalid", error: "--name only applies to gateway tokens" };
  if (kind === "viewer" || kind === "admin")
    return { kind: "mint", request: { kind, board: values.board, ...ttl } };
  if (kind === "gateway") {
    const gateway = values.name ?? "gateway";
    if (!DEVICE_PATTERN.test(gateway))
      return { kind: "invalid", error: `--name must match ${DEVICE_PATTERN}` };
    return { kind: "mint", request: { kind, board: values.board, gateway, ...ttl } };
  }
  if (!values.device) return { kind: "invalid", error: "--device is required for a device token" };
  if (!DEVICE_PATTERN.test(values.device))
    return { kind: "invalid", error: `--device must match ${DEVICE_PATTERN}` };
  return { kind: "mint", request: { kind, board: values.board, device: values.device, ...ttl } };
}

function parseWith(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      board: { type: "string" },
      device: { type: "string" },
      name: { type: "string" },
      ttl: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

import type { TokenClaims } from "../auth/tokens.ts";
import { ApiError } from "../http/errors.ts";
import { checkDevice, PointProblem, sanitizeDevice } from "./points.ts";

/**
 * Which device a point belongs to. A device token posts as its own device, whatever the request says; a gateway
 * token takes it from the request: a JSON `device` field, or a tag, attribute or label (`key`) of each point,
 * removed from the point's labels. The device key is removed with a device token too, so a series is named the
 * same whichever token posted it.
 */
export interface DeviceRule {
  /** The tag, attribute or label that names the device in other formats. */
  key: string;
  /** The device for a point whose `key` has `value` (undefined when absent); throws PointProblem. */
  resolve(value: string | undefined): string;
}

export function deviceRule(claims: TokenClaims, key: string): DeviceRule {
  if (claims.kind === "device") return { key, resolve: () => claims.device ?? "" };
  return {
    key,
    resolve(value) {
      if (value === undefined || value === "")
        throw new PointProblem("missing_device", `a gateway's points need a ${key} naming their device`);
      return sanitizeDevice(value);
    },
  };
}

/** The device a JSON request posts as: its token's, or (gateways) its `device` field. */
export function jsonDevice(claims: TokenClaims, named: unknown): string {
  if (claims.kind === "device") {
    if (named !== undefined && named !== claims.device)
      throw new ApiError(403, "wrong_device", `this token posts as device ${claims.device} only`, "device");
    return claims.device ?? "";
  }
  if (named === undefined)
    throw new ApiError(
      400,
      "missing_device",
      'a gateway names the device it posts for in "device"',
      "device",
    );
  try {
    return checkDevice(named);
  } catch (error) {
    throw new ApiError(400, (error as PointProblem).code, (error as PointProblem).message, "device");
  }
}

/** Who a request's idempotency keys belong to: keys of different devices or gateways never collide. */
export function idempotencyScope(claims: TokenClaims): string {
  return claims.kind === "device" ? `device:${claims.device}` : `gateway:${claims.gateway ?? ""}`;
}

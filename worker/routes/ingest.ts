import { Hono } from "hono";
import type { Env } from "../env.ts";
import { ApiError } from "../http/errors.ts";
import { methodNotAllowed } from "../http/methods.ts";
import { acceptIngest } from "../ingest/accept.ts";
import { bodyText } from "../ingest/body.ts";
import { jsonDevice } from "../ingest/device.ts";
import { parseJsonIngest } from "../ingest/json.ts";

/** `POST /ingest`: a device's (or a gateway's) JSON batch, validated here and stored by its board. */
export const ingestRoutes = new Hono<{ Bindings: Env }>()
  .post("/ingest", async (c) => {
    const contentType = c.req.header("content-type");
    const { stored } = await acceptIngest(c, (bytes, claims, now) => {
      if (contentType && !/^application\/json\b/i.test(contentType)) {
        const message = "send Content-Type: application/json";
        throw new ApiError(415, "unsupported_media_type", message, "content-type");
      }
      let body: unknown;
      try {
        body = JSON.parse(bodyText(bytes));
      } catch (error) {
        if (error instanceof ApiError) throw error;
        throw new ApiError(400, "invalid_json", "body is not valid JSON", "body");
      }
      if (typeof body !== "object" || body === null || Array.isArray(body))
        throw new ApiError(400, "invalid_body", "body must be a JSON object", "");
      const record = body as Record<string, unknown>;
      return { points: parseJsonIngest(record, jsonDevice(claims, record.device), now), extra: null };
    });
    return c.json({ accepted: stored!.accepted, positions: stored!.positions }, 202);
  })
  .all("/ingest", methodNotAllowed("POST"));

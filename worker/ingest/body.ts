import { ApiError } from "../http/errors.ts";
import { INGEST_LIMITS } from "./limits.ts";

export function tooLarge(what: string, limit: number): ApiError {
  return new ApiError(413, "payload_too_large", `${what} must be at most ${limit} bytes`, "body");
}

/**
 * Reads a stream to the end, refusing (413) more than `limit` bytes. A stream that fails while read (a request body
 * with broken chunked framing: the runtime reports "Network connection lost") throws `unreadable`'s error.
 */
async function readCapped(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  what: string,
  unreadable: () => ApiError,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        throw unreadable();
      }
      if (chunk.done) break;
      total += chunk.value.byteLength;
      if (total > limit) throw tooLarge(what, limit);
      chunks.push(chunk.value);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * A request's body as bytes: at most `maxBodyBytes` as sent (by `Content-Length` or by counting a streamed body),
 * and with `Content-Encoding: gzip` undone, at most `maxDecodedBytes` after (a gzip bomb answers 413 early).
 * `encoding` is the one other Content-Encoding a format undoes itself (Prometheus' snappy), if any.
 */
export async function readBody(request: Request, encoding?: string): Promise<Uint8Array> {
  const { maxBodyBytes, maxDecodedBytes } = INGEST_LIMITS;
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBodyBytes) throw tooLarge("the request body", maxBodyBytes);
  const sentEncoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  const accepted = encoding ? [encoding] : ["identity", "gzip"];
  if (!accepted.includes(sentEncoding)) {
    const message = `Content-Encoding must be ${accepted.join(" or ")}`;
    throw new ApiError(415, "unsupported_encoding", message, "content-encoding");
  }
  if (!request.body) return new Uint8Array();
  const sent = await readCapped(request.body, maxBodyBytes, "the request body", unreadableBody);
  if (sentEncoding !== "gzip") return sent;
  const decoded = new Blob([sent]).stream().pipeThrough(new DecompressionStream("gzip"));
  return readCapped(decoded, maxDecodedBytes, "the decompressed body", notGzip);
}

const unreadableBody = () =>
  new ApiError(400, "invalid_body", "the request body could not be read (broken chunked framing?)", "body");
const notGzip = () => new ApiError(400, "invalid_encoding", "the body is not valid gzip data", "body");

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** A body as UTF-8 text; 400 when it is not. */
export function bodyText(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new ApiError(400, "invalid_encoding", "the body is not valid UTF-8", "body");
  }
}

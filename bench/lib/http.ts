import { Agent, request } from "node:http";

const REQUEST_TIMEOUT_MS = 30_000;

/** A response read to the end. */
export interface HttpResponse {
  status: number;
  body: string;
  /** Response body size in bytes. */
  bytes: number;
  headers: Record<string, string | string[] | undefined>;
}

/** Keep-alive HTTP/1.1 client for one origin; `node:http` because it costs the load generator least per request. */
export class HttpClient {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(origin: string, maxSockets = Number.POSITIVE_INFINITY) {
    this.url = new URL(origin);
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  /** Sends one request; rejects on network errors and after 30 s. */
  send(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: Buffer,
  ): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method,
          path,
          agent: this.agent,
          timeout: REQUEST_TIMEOUT_MS,
          headers: body ? { ...headers, "content-length": String(body.byteLength) } : headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            const data = Buffer.concat(chunks);
            resolve({
              status: res.statusCode ?? 0,
              body: data.toString("utf8"),
              bytes: data.byteLength,
              headers: res.headers,
            });
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

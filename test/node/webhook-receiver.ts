import { createServer, type IncomingHttpHeaders } from "node:http";
import { findFreePorts } from "../../scripts/net.ts";
import { DEV_HOST } from "../../scripts/tools.ts";

/** A webhook receiver on a free port: records every request, and answers the first one 503 (so it is retried). */
export async function webhookReceiver() {
  const received: Array<{ headers: IncomingHttpHeaders; body: string; answered: number }> = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      const answered = received.length === 0 ? 503 : 200;
      received.push({ headers: request.headers, body, answered });
      response.writeHead(answered).end();
    });
  });
  const [port] = (await findFreePorts(DEV_HOST, 1)) as [number];
  await new Promise<void>((resolve) => server.listen(port, DEV_HOST, resolve));
  return { url: `http://${DEV_HOST}:${port}/hooks`, received, close: () => server.close() };
}

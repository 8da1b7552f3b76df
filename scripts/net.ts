import { type AddressInfo, createServer, type Server } from "node:net";

function listenOnAnyPort(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => resolve(server));
  });
}

/** `count` distinct TCP ports that were free a moment ago on `host` (all are held until all are found). */
export async function findFreePorts(host: string, count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => listenOnAnyPort(host)));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Polls `url` until it answers with any HTTP status; gives up after `timeoutMs` or when `gaveUp` settles first. */
export async function waitForHttp(url: string, timeoutMs: number, gaveUp?: Promise<unknown>): Promise<void> {
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  gaveUp?.then(stop, stop);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopped) throw new Error(`gave up waiting for ${url}: the server exited`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** Whether `port` on `host` is free to listen on right now. */
export function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

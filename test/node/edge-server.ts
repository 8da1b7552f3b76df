/**
 * A `wrangler dev` for tests that talk to the Worker from outside, as hostile clients do: over raw TCP sockets and
 * real WebSocket clients. It also finds the socket of workerd's own HTTP server (the runtime behind wrangler's local
 * proxy), for what the proxy would answer itself.
 */
import { randomBytes } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MintRequest, mintToken } from "../../scripts/mint-token.ts";
import { findFreePorts, waitForHttp } from "../../scripts/net.ts";
import { type GroupProcess, startGroup } from "../../scripts/processes.ts";
import { DEV_HOST, wranglerDev } from "../../scripts/tools.ts";

export interface EdgeServer {
  /** Through wrangler's proxy, as `npm run dev` serves it. */
  url: string;
  /** workerd's own socket serving the Worker, with no proxy in front. */
  workerdPort: number;
  mint(request: MintRequest): Promise<string>;
  /** What wrangler and workerd printed (for a failing test's message). */
  output: string[];
  stop(): Promise<void>;
}

/** The TCP ports process `pid` listens on (Linux: its socket inodes matched against /proc/net/tcp). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // Closed meanwhile.
    }
  }
  const LISTEN = "0A";
  return readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3] === LISTEN && inodes.has(fields[9] ?? ""))
    .map((fields) => Number.parseInt(fields[1]!.split(":")[1]!, 16));
}

/** The workerd of wrangler's group that runs the Worker: the one whose entry socket was given port 0. */
function workerdPids(group: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        return pgid === group && cmdline.includes("workerd") && cmdline.includes(`entry=${DEV_HOST}:0`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Of workerd's sockets, the one where the Worker answers (its JSON 405 for a GET of the ingest route). */
async function findWorkerdPort(group: number): Promise<number> {
  for (const pid of workerdPids(group)) {
    for (const port of listeningPorts(pid)) {
      const answer = await rawHttp(port, `GET /api/v1/ingest HTTP/1.1\r\nHost: ${DEV_HOST}\r\n\r\n`, 2_000);
      if (answer.includes("method_not_allowed")) return port;
    }
  }
  throw new Error("found no workerd socket serving the Worker");
}

/** Whether a raw HTTP/1.1 answer is all there: a 101's headers, or headers and a body of its Content-Length. */
function complete(answer: string): boolean {
  const end = answer.indexOf("\r\n\r\n");
  if (end < 0) return false;
  if (answer.startsWith("HTTP/1.1 101")) return true;
  const length = /\r\ncontent-length: *(\d+)/i.exec(answer.slice(0, end))?.[1];
  return length !== undefined && answer.length - end - 4 >= Number(length);
}

/** Sends raw bytes to a local port; resolves with its answer once complete, closed, or after `waitMs`. */
export function rawHttp(port: number, bytes: string, waitMs = 5_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, DEV_HOST);
    let answer = "";
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(done, waitMs);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      answer += chunk;
      if (complete(answer)) done();
    });
    socket.on("close", done);
    socket.on("error", done);
    socket.write(bytes, "latin1");
  });
}

/** Starts `wrangler dev` with a fresh secret, empty state, `vars`, and a placeholder page for the dashboard. */
export async function startEdgeServer(vars: Record<string, string> = {}): Promise<EdgeServer> {
  const secret = randomBytes(32).toString("hex");
  const stateDir = mkdtempSync(join(tmpdir(), "edgepulse-edge-"));
  const assets = join(stateDir, "assets");
  const [port, inspectorPort] = (await findFreePorts(DEV_HOST, 2)) as [number, number];
  const args = ["--inspector-port", String(inspectorPort), "--persist-to", join(stateDir, "state")];
  args.push("--assets", assets, "--var", `EDGEPULSE_SECRET:${secret}`);
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
  const output: string[] = [];
  mkdirSync(assets);
  writeFileSync(join(assets, "index.html"), "<!doctype html><title>edge tests</title>");
  const wrangler: GroupProcess = startGroup(wranglerDev(port, args), { output: (line) => output.push(line) });
  const stop = async () => {
    await wrangler.stop();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    const url = `http://${DEV_HOST}:${port}`;
    await waitForHttp(`${url}/api/v1/ingest`, 60_000, wrangler.exited);
    const workerdPort = await findWorkerdPort(wrangler.child.pid!);
    return { url, workerdPort, mint: (request) => mintToken(secret, request), output, stop };
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output.slice(-30).join("\n")}`);
  }
}

/** What a raw WebSocket client saw: binary frame bytes received, and the code of the server's Close frame. */
export interface RawSocketView {
  frameBytes: number;
  closeCode: number | null;
  socket: Socket;
}

/**
 * A WebSocket client on a bare TCP socket: it sends the opening handshake and then nothing (no ack, no Close), and
 * parses what the server sends, so a test sees the server's Close frame itself, whatever the TCP connection does.
 */
export function rawWebSocket(port: number, path: string, protocols: string[]): Promise<RawSocketView> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, DEV_HOST);
    const view: RawSocketView = { frameBytes: 0, closeCode: null, socket };
    let buffer = Buffer.alloc(0);
    let open = false;
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!open) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString("latin1");
        if (!head.startsWith("HTTP/1.1 101")) return reject(new Error(head.split("\r\n")[0]));
        open = true;
        buffer = buffer.subarray(end + 4);
        resolve(view);
      }
      // Server frames are unmasked (RFC 6455 §5.1): opcode, 7-bit length or 16/64-bit extended length, payload.
      for (;;) {
        if (buffer.length < 2) return;
        const opcode = buffer[0]! & 0x0f;
        let length = buffer[1]! & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffer.length < 4) return;
          length = buffer.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (buffer.length < 10) return;
          length = Number(buffer.readBigUInt64BE(2));
          offset = 10;
        }
        if (buffer.length < offset + length) return;
        const payload = buffer.subarray(offset, offset + length);
        if (opcode === 0x2) view.frameBytes += length;
        if (opcode === 0x8) view.closeCode = length >= 2 ? payload.readUInt16BE(0) : 1005;
        buffer = buffer.subarray(offset + length);
      }
    });
    socket.on("error", reject);
    const key = randomBytes(16).toString("base64");
    const headers = [
      `GET ${path} HTTP/1.1`,
      `Host: ${DEV_HOST}:${port}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      "Sec-WebSocket-Version: 13",
      `Sec-WebSocket-Key: ${key}`,
      `Sec-WebSocket-Protocol: ${protocols.join(", ")}`,
    ];
    socket.write(`${headers.join("\r\n")}\r\n\r\n`);
  });
}

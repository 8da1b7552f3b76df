import { readdirSync, readFileSync, statSync } from "node:fs";
import { SourceMap, type SourceMapping } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** One function's share of the samples in a CPU profile. */
export interface HotSpot {
  /** Percent of all non-idle samples spent in the function itself. */
  selfPercent: number;
  name: string;
  /** `file:line` in the sources (in wrangler's bundle when its source map is missing). */
  where: string;
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  hitCount?: number;
  callFrame: CallFrame;
}

/** The newest bundle's source map under `root`: wrangler builds into `.wrangler/tmp/<build>/` next to its config. */
function bundleSourceMap(root: string): { map: SourceMap; dir: string } | null {
  const maps = readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((path) => path.includes(".wrangler/tmp/") && path.endsWith("worker.js.map"))
    .map((path) => join(root, path))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!maps[0]) return null;
  return { map: new SourceMap(JSON.parse(readFileSync(maps[0], "utf8"))), dir: dirname(maps[0]) };
}

function place(bundle: ReturnType<typeof bundleSourceMap>, root: string, frame: CallFrame): string {
  const entry = frame.url.endsWith("worker.js")
    ? (bundle?.map.findEntry(frame.lineNumber, frame.columnNumber) as Partial<SourceMapping> | undefined)
    : undefined;
  if (!bundle || entry?.originalSource === undefined || entry.originalLine === undefined)
    return `${frame.url}:${frame.lineNumber + 1}`;
  const source = entry.originalSource.startsWith("file:")
    ? fileURLToPath(entry.originalSource)
    : resolve(bundle.dir, entry.originalSource);
  return `${relative(root, source)}:${entry.originalLine + 1}`;
}

/** A DevTools-protocol session on the Worker's isolate that records a sampling CPU profile. */
export class CpuProfiler {
  private readonly socket: WebSocket;
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.addEventListener("message", (event: MessageEvent) => {
      // workerd answers some commands with `{id, method, params}` and no `result`: the id alone settles a call.
      const reply = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
      if (reply.id !== undefined) this.pending.get(reply.id)?.(reply.result);
    });
  }

  /** Connects to wrangler's inspector proxy and starts sampling. */
  static async start(inspectorPort: number): Promise<CpuProfiler> {
    const [target] = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Array<{
      webSocketDebuggerUrl: string;
    }>;
    // wrangler's inspector proxy wants an allowed Origin; Node's WebSocket (undici) takes headers in an init object.
    const init = { headers: { origin: "http://localhost" } } as unknown as string[];
    const socket = new WebSocket(target!.webSocketDebuggerUrl, init);
    await new Promise((opened, failed) => {
      socket.addEventListener("open", opened);
      socket.addEventListener("error", failed);
    });
    const profiler = new CpuProfiler(socket);
    await profiler.call("Profiler.enable");
    await profiler.call("Profiler.start");
    return profiler;
  }

  /** Stops sampling and returns the `top` functions by self time; `root` holds the staged sources wrangler built. */
  async stop(top: number, root: string): Promise<HotSpot[]> {
    const { profile } = (await this.call("Profiler.stop")) as { profile: { nodes: ProfileNode[] } };
    this.socket.close();
    const bundle = bundleSourceMap(root);
    const hits = new Map<string, { name: string; where: string; hits: number }>();
    let total = 0;
    for (const { hitCount = 0, callFrame } of profile.nodes) {
      if (callFrame.functionName === "(idle)") continue;
      total += hitCount;
      const where = place(bundle, root, callFrame);
      const name = callFrame.functionName || "(anonymous)";
      const spot = hits.get(`${name}@${where}`) ?? { name, where, hits: 0 };
      spot.hits += hitCount;
      hits.set(`${name}@${where}`, spot);
    }
    return [...hits.values()]
      .sort((a, b) => b.hits - a.hits)
      .slice(0, top)
      .map(({ name, where, hits: n }) => ({ name, where, selfPercent: (100 * n) / total }));
  }

  private call(method: string, params: object = {}): Promise<unknown> {
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ id, method, params }));
    return new Promise((settle) => this.pending.set(id, settle));
  }
}

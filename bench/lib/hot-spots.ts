import { CpuProfiler } from "./profiler.ts";
import type { DevServer } from "./server.ts";
import { num, printTable } from "./table.ts";

const TOP_FUNCTIONS = 15;
const TOP_GROUPS = 12;

/** A profile of the Worker's isolate over a measurement (`--profile`), printed when it ends. */
export class HotSpotRecorder {
  private readonly title: string;
  private readonly root: string;
  private readonly started: Promise<CpuProfiler>;

  /** Starts profiling `server`, whose sources were staged in `root`. */
  constructor(server: DevServer, root: string, title: string) {
    this.title = title;
    this.root = root;
    this.started = CpuProfiler.start(server.inspectorPort);
  }

  /** Stops and prints the functions with the most self time. */
  async print(): Promise<void> {
    const spots = await (await this.started).stop(Number.POSITIVE_INFINITY, this.root);
    printTable(
      `CPU profile of the app isolate: ${this.title}`,
      ["self %", "function", "where"],
      spots.slice(0, TOP_FUNCTIONS).map((spot) => [num(spot.selfPercent, 1), spot.name, spot.where]),
      [
        "Sampled over the measured window; `(program)`, `(garbage collector)` and native calls are runtime time.",
      ],
    );
    // Folders of the sources (the engine, live, shard, ingest …); runtime time under its own names.
    const groups = new Map<string, number>();
    for (const spot of spots) {
      const file = spot.where.replace(/:\d+$/, "");
      const group = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : file || spot.name;
      groups.set(group, (groups.get(group) ?? 0) + spot.selfPercent);
    }
    printTable(
      `By source folder: ${this.title}`,
      ["self %", "folder"],
      [...groups]
        .sort((a, b) => b[1] - a[1])
        .slice(0, TOP_GROUPS)
        .map(([group, percent]) => [num(percent, 1), group]),
    );
  }
}

import { type RealPrometheus, remoteWrite, startRealPrometheus } from "../../scripts/real-prometheus.ts";
import { signToken } from "../../worker/auth/tokens.ts";
import { cpuSpentByName } from "../lib/procfs.ts";
import { type DevServer, startServer } from "../lib/server.ts";
import { num, printTable, ratio } from "../lib/table.ts";
import { mintToken } from "../lib/tokens.ts";
import type { BenchContext } from "./context.ts";
import { bodies, dataset } from "./promql.ts";

const INTERVAL_S = 10;
/** What operators alert on over these series: a rate per job, a histogram's p99, and a recorded rate. */
const RULES = `groups:
  - name: bench
    interval: ${INTERVAL_S}s
    rules:
      - alert: JobBusy
        expr: sum by (job) (rate(http_requests_total[5m])) > 0
        labels: { severity: page }
        annotations: { summary: "{{ $labels.job }} at {{ humanize $value }}/s" }
      - alert: SlowRpc
        expr: histogram_quantile(0.99, sum by (le) (rate(rpc_duration_seconds_bucket[5m]))) > 0
      - record: job:http_requests:rate5m
        expr: sum by (job) (rate(http_requests_total[5m]))
`;

interface GroupAnswer {
  lastEvaluation: string;
  evaluationTime: number;
  rowsRead?: number;
}

async function group(url: string, headers: Record<string, string>): Promise<GroupAnswer | null> {
  const response = await fetch(`${url}/api/v1/rules`, { headers });
  const answer = (await response.json()) as { data: { groups: Array<GroupAnswer & { name: string }> } };
  return answer.data.groups.find((g) => g.name === "bench") ?? null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for the group's next evaluation after `after` (its time, ISO), returning it. */
async function nextEvaluation(
  url: string,
  headers: Record<string, string>,
  after: string,
): Promise<GroupAnswer> {
  const deadline = Date.now() + 3 * INTERVAL_S * 1000;
  while (Date.now() < deadline) {
    const found = await group(url, headers);
    if (found && found.lastEvaluation !== after && !found.lastEvaluation.startsWith("0001")) return found;
    await sleep(250);
  }
  throw new Error(`no evaluation of the rule group at ${url} after ${after}`);
}

async function rowsWritten(server: DevServer, board: string, admin: string): Promise<number> {
  const response = await fetch(`${server.origin}/api/v1/boards/${board}/stats`, {
    headers: { authorization: `Bearer ${admin}` },
  });
  const stats = (await response.json()) as { rowsWritten: number; alarmsSet: number };
  return stats.rowsWritten + stats.alarmsSet;
}

/**
 * What one evaluation of a rule file costs a board (CPU of the runtime, rows read and written), beside Debian's
 * Prometheus evaluating the same file over the same remote-written samples in the same run.
 */
export async function rulesScenario(context: BenchContext): Promise<void> {
  const series = 1_000;
  const evaluations = context.quick ? 3 : 12;
  const server = await startServer(context.stage, context.secret, { BOARD_SHARDS: "4" });
  let prometheus: RealPrometheus | undefined;
  try {
    prometheus = await startRealPrometheus({
      config: () => [
        `global: { scrape_interval: 1m, evaluation_interval: ${INTERVAL_S}s }`,
        "scrape_configs: []",
      ],
      rules: RULES,
    });
    const board = "rules-bench";
    const iat = Math.floor(Date.now() / 1000);
    const gateway = await signToken(context.secret, { kind: "gateway", board, gateway: "prometheus", iat });
    const admin = await mintToken(context.secret, "admin", board);
    const end = Math.floor(Date.now() / 15_000) * 15_000;
    for (const body of bodies(dataset(series, end, 3_600_000)))
      await Promise.all([
        remoteWrite(`${prometheus.url}/api/v1/write`, body),
        remoteWrite(`${server.origin}/api/v1/write`, body, gateway),
      ]);
    const auth = { authorization: `Bearer ${admin}` };
    const base = `${server.origin}/api/v1/boards/${board}/prometheus`;

    // The runtime's own CPU with nothing to do, over as long as the measured window: subtracted from it.
    const windowMs = evaluations * INTERVAL_S * 1000;
    const idleBefore = server.cpu();
    await sleep(windowMs);
    const idleSeconds = cpuSpentByName(idleBefore, server.cpu()).get("workerd:app") ?? 0;

    const put = await fetch(`${server.origin}/api/v1/boards/${board}/rules`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/yaml" },
      body: RULES,
    });
    if (put.status !== 200) throw new Error(`PUT rules: ${put.status} ${await put.text()}`);
    // CPU over whole evaluations with nothing else asking the board (no polling inside the window).
    const first = await nextEvaluation(base, auth, "");
    const writtenBefore = await rowsWritten(server, board, admin);
    const cpuBefore = server.cpu();
    const started = Date.now();
    await sleep(windowMs);
    const cpuSeconds = cpuSpentByName(cpuBefore, server.cpu()).get("workerd:app") ?? 0;
    const elapsed = Date.now() - started;
    const written = (await rowsWritten(server, board, admin)) - writtenBefore;
    let last = await nextEvaluation(base, auth, first.lastEvaluation);
    const ours: GroupAnswer[] = [last];
    while (ours.length < evaluations) {
      last = await nextEvaluation(base, auth, last.lastEvaluation);
      ours.push(last);
    }
    const theirs: GroupAnswer[] = [];
    let theirLast = await nextEvaluation(prometheus.url, {}, "");
    for (let i = 0; i < evaluations; i++) {
      theirLast = await nextEvaluation(prometheus.url, {}, theirLast.lastEvaluation);
      theirs.push(theirLast);
    }
    const mean = (answers: GroupAnswer[], pick: (g: GroupAnswer) => number) =>
      answers.reduce((sum, g) => sum + pick(g), 0) / answers.length;
    // The window starts just after an evaluation and lasts `evaluations` intervals: it holds that many.
    const held = Math.max(1, Math.round(elapsed / (INTERVAL_S * 1000)));
    const cpuMs = (1000 * (cpuSeconds - (idleSeconds * elapsed) / windowMs)) / held;
    const ourMs = mean(ours, (g) => g.evaluationTime * 1000);
    const theirMs = mean(theirs, (g) => g.evaluationTime * 1000);
    printTable(
      `Rule evaluation: 2 alerting + 1 recording rule over ${num(series)} series, every ${INTERVAL_S} s (${evaluations} evaluations)`,
      [
        "target",
        "evaluation ms",
        "runtime CPU ms / evaluation",
        "rows read",
        "rows written",
        "vs Prometheus",
      ],
      [
        [
          "edgepulse (hub alarm, 4 shards)",
          num(ourMs, 1),
          num(cpuMs, 1),
          num(mean(ours, (g) => g.rowsRead ?? 0)),
          num(written / held, 1),
          ratio(ourMs, theirMs),
        ],
        ["prometheus 2.42", num(theirMs, 1), "-", "-", "-", "1.00x"],
      ],
      [
        "evaluation ms: the group's evaluationTime as each reports it in /api/v1/rules (mean).",
        "runtime CPU: wrangler dev's app workerd (hub, shards, Worker) over the measured evaluations, less its idle CPU over an equal window before.",
        "rows read/written: per evaluation, from the group's rowsRead and the board's stats (hub state, transitions, recorded samples, alarms).",
      ],
    );
  } finally {
    await prometheus?.stop();
    await server.stop();
  }
}

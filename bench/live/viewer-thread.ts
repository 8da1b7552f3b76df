/** Worker-thread entry: runs a share of the viewers so that decoding does not share one core with the load. */
import { parentPort, workerData } from "node:worker_threads";
import { Histogram } from "../lib/histogram.ts";
import { HttpClient } from "../lib/http.ts";
import { CountingWindow } from "./counting-window.ts";
import { hubProtocol } from "./hub-viewer.ts";
import type { FromViewers, ToViewers, ViewerJob } from "./messages.ts";
import { naiveHubProtocol } from "./naive-hub-viewer.ts";
import { partyProtocol } from "./party-viewer.ts";
import { PollViewer } from "./poll-viewer.ts";
import { Reception, type Viewer } from "./reception.ts";
import { SocketViewer } from "./socket-viewer.ts";

/** Viewers connecting at once per thread: enough to connect hundreds in about a second. */
const OPEN_CONCURRENCY = 10;

const job = workerData as ViewerJob;
const port = parentPort!;
const latency = new Histogram();
const counting = new CountingWindow();
const http = new HttpClient(job.origin);

function createViewer(): Viewer {
  const reception = new Reception(latency, counting);
  switch (job.kind) {
    case "hub":
      return new SocketViewer(hubProtocol(job.origin, job.board, job.token), reception);
    case "naive-hub":
      return new SocketViewer(naiveHubProtocol(job.origin, job.board), reception);
    case "party":
    case "party-no-deflate":
      return new SocketViewer(
        partyProtocol(job.origin, job.board, { deflate: job.kind === "party" }),
        reception,
      );
    case "poll":
      return new PollViewer(http, job.board, reception);
  }
}

async function openAll(viewers: Viewer[]): Promise<string[]> {
  const failed: string[] = [];
  let next = 0;
  const opener = async () => {
    while (next < viewers.length) {
      const viewer = viewers[next++]!;
      await viewer.open().catch((error: Error) => failed.push(error.message));
    }
  };
  await Promise.all(Array.from({ length: OPEN_CONCURRENCY }, opener));
  return failed;
}

const viewers = Array.from({ length: job.count }, createViewer);
port.on("message", (message: ToViewers) => {
  if (message.type === "start") {
    counting.open(message.at);
    for (const viewer of viewers) viewer.start(message.at);
    return;
  }
  counting.close();
  const tallies = viewers.map((viewer) => ({ ...viewer.reception.tally }));
  port.postMessage({ type: "result", tallies, latency: latency.toData() } satisfies FromViewers);
  for (const viewer of viewers) viewer.close();
  http.close();
  port.close();
});
port.postMessage({ type: "ready", failed: await openAll(viewers) } satisfies FromViewers);

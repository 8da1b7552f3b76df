/**
 * Worker-thread entry: runs one hostile client of the flood scenario, so that its requests and answers never share
 * an event loop with the well-behaved devices whose latency is measured (on a real network they share nothing).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { parentPort, workerData } from "node:worker_threads";
import { formatPosition, type StreamPosition } from "../../worker/protocol/index.ts";
import { HttpClient } from "../lib/http.ts";
import { ingestBody, makePoints } from "../lib/points.ts";
import type { FloodCounts, FloodJob, FromFlood, ToFlood } from "./messages.ts";

/** Points per flooding post, as the measured devices send. */
const POINTS = 10;

/** Starts a flood against `board`; the returned function stops it and tells what it did. */
function startFlood({ kind, origin, board, tokens }: FloodJob): () => Promise<FloodCounts> {
  const counts: FloodCounts = { sent: 0, refused: 0, closed1008: 0 };
  let running = true;
  const loops: Promise<void>[] = [];
  if (kind === "device") {
    // One device posting as fast as 8 connections go, far past its 1,000 requests per 10 s.
    const client = new HttpClient(origin, 8);
    const body = ingestBody(makePoints(POINTS, () => Date.now()));
    const headers = { authorization: `Bearer ${tokens.device}`, "content-type": "application/json" };
    for (let i = 0; i < 8; i++)
      loops.push(
        (async () => {
          while (running) {
            counts.sent++;
            const response = await client.send("POST", "/api/v1/ingest", headers, body).catch(() => null);
            if (response?.status === 429) counts.refused++;
          }
        })(),
      );
    return async () => {
      running = false;
      await Promise.all(loops);
      client.close();
      return counts;
    };
  }
  if (kind === "viewer messages") {
    // Sockets sending subscribe messages as fast as they can, reconnecting whenever they are closed.
    const url = `${origin.replace(/^http/, "ws")}/api/v1/boards/${board}/live`;
    const message = JSON.stringify({ type: "subscribe", series: ["*"] });
    for (let i = 0; i < 4; i++)
      loops.push(
        (async () => {
          while (running) {
            const socket = new WebSocket(url, ["edgepulse.v2", `bearer.${tokens.viewer}`]);
            await new Promise<void>((resolve) => {
              const pump = setInterval(() => {
                if (socket.readyState !== WebSocket.OPEN) return;
                for (let k = 0; k < 20; k++) {
                  socket.send(message);
                  counts.sent++;
                }
              }, 10);
              socket.onclose = (event) => {
                if (event.code === 1008) counts.closed1008++;
                clearInterval(pump);
                resolve();
              };
              socket.onerror = () => {};
            });
            // A deployment accepts 60 upgrades a minute per credential (UPGRADE_LIMITER); the bench lifts that
            // limit for its own viewers, so the flooder keeps to it here: each of the 4 sockets every 4 s.
            if (running) await sleep(4000);
          }
        })(),
      );
    return async () => {
      running = false;
      await Promise.race([Promise.all(loops), sleep(3000)]);
      return counts;
    };
  }
  if (kind === "streams and polls") {
    // One address and credential asking for 200 SSE streams and 200 long polls, again as soon as refused.
    const client = new HttpClient(origin);
    const headers = { authorization: `Bearer ${tokens.viewer}` };
    for (let i = 0; i < 400; i++)
      loops.push(
        (async () => {
          const path = `/api/v1/boards/${board}/${i % 2 === 0 ? "events" : "poll?wait=25000"}`;
          while (running) {
            counts.sent++;
            const response = await client.send("GET", path, headers).catch(() => null);
            if (response?.status === 429) {
              counts.refused++;
              await sleep(Number(response.headers["retry-after"] ?? 1) * 1000);
            }
          }
        })(),
      );
    return async () => {
      running = false;
      await Promise.race([Promise.all(loops), sleep(3000)]);
      client.close();
      return counts;
    };
  }
  if (kind === "poll storm") {
    // One credential polling from its current position in 200 loops, each asking again at once when refused.
    const client = new HttpClient(origin);
    const headers = { authorization: `Bearer ${tokens.viewer}` };
    const first = client.send("GET", `/api/v1/boards/${board}/poll`, headers);
    for (let i = 0; i < 200; i++)
      loops.push(
        (async () => {
          const { positions } = JSON.parse((await first).body) as { positions: StreamPosition };
          const path = `/api/v1/boards/${board}/poll?pos=${formatPosition(positions)}&wait=25000`;
          while (running) {
            counts.sent++;
            const response = await client.send("GET", path, headers).catch(() => null);
            if (response?.status === 429) counts.refused++;
          }
        })(),
      );
    return async () => {
      running = false;
      await Promise.race([Promise.all(loops), sleep(3000)]);
      client.close();
      return counts;
    };
  }
  return async () => counts;
}

const job = workerData as FloodJob;
const port = parentPort!;
const cpuMicros = () => {
  const { user, system } = process.threadCpuUsage();
  return user + system;
};
const stop = startFlood(job);
port.on("message", (message: ToFlood) => {
  if (message.type === "cpu") {
    port.postMessage({ type: "cpu", micros: cpuMicros() } satisfies FromFlood);
    return;
  }
  void stop().then((counts) => {
    port.postMessage({ type: "stopped", counts, micros: cpuMicros() } satisfies FromFlood);
    port.close();
  });
});
port.postMessage({ type: "started" } satisfies FromFlood);

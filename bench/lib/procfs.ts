import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times. */
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** A process with its accumulated CPU time. */
export interface ProcessCpu {
  pid: number;
  /** A short name: the executable, or `workerd:app` / `workerd:proxy` for wrangler's two runtimes. */
  name: string;
  cpuSeconds: number;
}

interface StatLine {
  pgrp: number;
  cpuSeconds: number;
}

function readStat(pid: number): StatLine | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: fields are counted from the last `)`.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { pgrp: Number(fields[2]), cpuSeconds: ticks / CLOCK_TICKS };
  } catch {
    return null;
  }
}

function processName(pid: number): string {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const exe = args[0]?.split("/").at(-1) ?? "?";
    // wrangler runs the Worker in one workerd (with the inspector) behind a proxy workerd on the public port.
    if (exe === "workerd")
      return args.some((arg) => arg.startsWith("--inspector-addr")) ? "workerd:app" : "workerd:proxy";
    return exe;
  } catch {
    return "?";
  }
}

/** Every live process of a process group with its CPU time so far. */
export function groupCpu(pgid: number): ProcessCpu[] {
  const found: ProcessCpu[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (stat?.pgrp === pgid) found.push({ pid, name: processName(pid), cpuSeconds: stat.cpuSeconds });
  }
  return found;
}

/** CPU seconds spent between two samples, summed by process name (a process that restarted counts from 0). */
export function cpuSpentByName(before: ProcessCpu[], after: ProcessCpu[]): Map<string, number> {
  const start = new Map(before.map((p) => [p.pid, p.cpuSeconds]));
  const spent = new Map<string, number>();
  for (const p of after) spent.set(p.name, (spent.get(p.name) ?? 0) + p.cpuSeconds - (start.get(p.pid) ?? 0));
  return spent;
}

/** CPU seconds the whole machine has been busy (all cores, all processes), from /proc/stat. */
export function machineBusySeconds(): number {
  const fields = readFileSync("/proc/stat", "utf8")
    .split("\n", 1)[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
}

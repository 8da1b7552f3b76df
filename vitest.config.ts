import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Secret used by the workerd tests only. */
export const TEST_SECRET = "test-secret-0123456789abcdef0123456789abcdef";

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { EDGEPULSE_SECRET: TEST_SECRET, LIVE_TICK_MS: "0" } },
          }),
        ],
        test: {
          name: "workerd",
          include: ["test/worker/**/*.test.ts"],
          exclude: ["test/worker/timed/**", "test/worker/sharded/**"],
        },
      },
      {
        // A board spread over 4 ingest shards, with 2 viewers per hub or relay so a handful of viewers fills relays.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                EDGEPULSE_SECRET: TEST_SECRET,
                LIVE_TICK_MS: "20",
                BOARD_SHARDS: "4",
                VIEWERS_PER_OBJECT: "2",
              },
            },
          }),
        ],
        test: { name: "workerd-sharded", include: ["test/worker/sharded/**/*.test.ts"], testTimeout: 60_000 },
      },
      {
        // Short clocks so tests can watch ticks, presence timeouts and raw retention happen for real.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                EDGEPULSE_SECRET: TEST_SECRET,
                LIVE_TICK_MS: "50",
                PRESENCE_TIMEOUT_MS: "300",
                RAW_RETENTION_MS: "400",
                LIVE_MAX_UNACKED_BYTES: "2000",
                DEVICE_REQUESTS_PER_10S: "5",
              },
            },
          }),
        ],
        test: { name: "workerd-timed", include: ["test/worker/timed/**/*.test.ts"] },
      },
      {
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});

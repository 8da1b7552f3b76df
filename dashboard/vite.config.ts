import { defineConfig } from "vite";

/** The local Worker (`npm run dev`); the Vite dev server forwards the API to it. */
const WORKER_URL = "http://127.0.0.1:8787";

// Run as `vite dashboard` / `vite build dashboard`: the root is this folder, so dist/ lands in dashboard/dist.
export default defineConfig({
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      "/api": {
        target: WORKER_URL,
        changeOrigin: true,
        ws: true,
        // The Worker refuses live sockets from foreign origins; through this proxy the page's origin is :5173.
        rewriteWsOrigin: true,
      },
    },
  },
});

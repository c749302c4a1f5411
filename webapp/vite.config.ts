import { defineConfig } from "vite";

// `npm run build` writes dist/, which the FastAPI server serves at "/" (relative asset
// paths, so the app also works under another prefix). `npm run dev` proxies the API,
// WebSocket included, to a backend on port 8000 (the Host header is kept, so the server's
// cross-site check sees the same origin as the page).
const BACKEND = process.env.DEPTHCAST_BACKEND ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
  worker: {
    format: "es",
  },
  server: {
    proxy: {
      "/api": { target: BACKEND, ws: true, changeOrigin: false },
    },
  },
  preview: {
    proxy: {
      "/api": { target: BACKEND, ws: true, changeOrigin: false },
    },
  },
});

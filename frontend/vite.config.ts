import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// Django serves the build: index.html through core/views_ui.py for every page address, the assets
// through STATICFILES_DIRS under /static/ui/ (migrateiq/settings.py). `npm run dev` serves at / and
// sends /api to a MigrateIQ started with `make run`.
export default defineConfig(({ command }) => ({
  base: command === "build" ? "/static/ui/" : "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
    // One process per test file: the API client's BroadcastChannel (tabs sharing a session) would
    // reach the other files' clients across worker threads.
    pool: "forks",
    // Vitest's default (one fewer than the cores) is one fork on a 2-core machine: the files then run
    // one after the other (120 s here instead of 80 s with two).
    maxWorkers: "100%",
    // Vitest's 5 s a test timed some out on a slow 2-core host shared with other work (load 8-9); a
    // test that hangs still fails, later.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
}));

import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// Django serves the built files: index.html through core/views_ui.py, the assets through
// STATICFILES_DIRS under /static/ui/ (see migrateiq/settings.py).
export default defineConfig({
  base: "/static/ui/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
  },
  server: {
    // `npm run dev`: the API of a MigrateIQ started with `make run`.
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
  },
});

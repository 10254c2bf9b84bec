import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The build lands in dist/app, which ui/embed.go embeds into the binary.
// base "./" keeps every asset URL relative, so the same build works under
// any --base-url; internal/webui points index.html at {base}static/app/.
// public/sandbox.{html,js} (the frame trusted output runs in) are copied
// as they are: the frame has an opaque origin, so its script must be a
// classic one (module scripts need CORS).
export default defineConfig({
  base: "./",
  resolve: {
    // @jupyter-widgets/base-manager's HTML sanitiser is replaced by the
    // page's own (src/widgets/sanitize-html.ts).
    alias: { "sanitize-html": fileURLToPath(new URL("./src/widgets/sanitize-html.ts", import.meta.url)) },
  },
  build: {
    outDir: "dist/app",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
});

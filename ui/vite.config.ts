import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

/** VIEW_ENTRIES: the modules main.ts imports for each view (keep the two
 *  in step). The server lists their chunks in the view's page, so the
 *  browser fetches and compiles them while the entry script still runs. */
const VIEW_ENTRIES: Record<string, string[]> = {
  notebooks: ["src/notebook/index.ts", "src/notebook/view.ts"],
  edit: ["src/editor/index.ts"],
  terminals: ["src/terminal/index.ts"],
  tree: ["src/files/index.ts"],
};

/** viewPreloads writes preload.json: for each view, the JavaScript chunks
 *  (its entries and what they import statically) and style sheets the
 *  page's entry does not load itself. internal/webui reads it. */
function viewPreloads(): Plugin {
  return {
    name: "quire-view-preloads",
    apply: "build",
    generateBundle(_, bundle) {
      const chunks = new Map<string, { imports: string[]; css: string[] }>();
      const byModule = new Map<string, string>();
      let entry = "";
      for (const [file, out] of Object.entries(bundle)) {
        if (out.type !== "chunk") continue;
        const css = [...((out as { viteMetadata?: { importedCss?: Set<string> } }).viteMetadata?.importedCss ?? [])];
        chunks.set(file, { imports: out.imports, css });
        if (out.facadeModuleId) byModule.set(out.facadeModuleId, file);
        if (out.isEntry) entry = file;
      }
      if (!entry) this.error("preload.json: the build has no entry chunk");
      const closure = (file: string, seen: Set<string>) => {
        if (seen.has(file)) return;
        seen.add(file);
        for (const i of chunks.get(file)?.imports ?? []) closure(i, seen);
      };
      const loaded = new Set<string>();
      closure(entry, loaded);
      const views: Record<string, { js: string[]; css: string[] }> = {};
      for (const [view, entries] of Object.entries(VIEW_ENTRIES)) {
        const seen = new Set<string>();
        for (const e of entries) {
          const file = byModule.get(fileURLToPath(new URL("./" + e, import.meta.url)));
          if (!file) this.error(`preload.json: ${e} (view ${view}) is not a chunk of the build`);
          closure(file, seen);
        }
        const js = [...seen].filter((f) => !loaded.has(f)).sort();
        const css = [...new Set(js.flatMap((f) => chunks.get(f)!.css))].sort();
        views[view] = { js, css };
      }
      this.emitFile({ type: "asset", fileName: "preload.json", source: JSON.stringify(views, null, 1) + "\n" });
    },
  };
}

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
  plugins: [viewPreloads()],
  build: {
    outDir: "dist/app",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
});

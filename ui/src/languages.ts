// Syntax modes for the text editor (by file name) and notebook cells (by
// the kernel's language name or codemirror_mode): one table, each mode
// loaded lazily in its own chunk and only once.
import type { Extension } from "@codemirror/state";
import { StreamLanguage } from "@codemirror/language";
import type { StreamParser } from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { languageKey } from "./languagekey";

type Loader = () => Promise<Extension>;

// Legacy modes emit a few token names StreamLanguage does not know.
const legacy =
  (load: () => Promise<unknown>): Loader =>
  async () => {
    const p = (await load()) as StreamParser<unknown>;
    return StreamLanguage.define({
      ...p,
      tokenTable: { property: tags.propertyName, "string-2": tags.special(tags.string), ...p.tokenTable },
    });
  };

/** Modes by canonical language name. */
const loaders: Record<string, Loader> = {
  python: async () => (await import("@codemirror/lang-python")).python(),
  markdown: async () => (await import("@codemirror/lang-markdown")).markdown(),
  json: legacy(async () => (await import("@codemirror/legacy-modes/mode/javascript")).json),
  javascript: legacy(async () => (await import("@codemirror/legacy-modes/mode/javascript")).javascript),
  typescript: legacy(async () => (await import("@codemirror/legacy-modes/mode/javascript")).typescript),
  shell: legacy(async () => (await import("@codemirror/legacy-modes/mode/shell")).shell),
  yaml: legacy(async () => (await import("@codemirror/legacy-modes/mode/yaml")).yaml),
  toml: legacy(async () => (await import("@codemirror/legacy-modes/mode/toml")).toml),
  css: legacy(async () => (await import("@codemirror/legacy-modes/mode/css")).css),
  scss: legacy(async () => (await import("@codemirror/legacy-modes/mode/css")).sCSS),
  less: legacy(async () => (await import("@codemirror/legacy-modes/mode/css")).less),
  xml: legacy(async () => (await import("@codemirror/legacy-modes/mode/xml")).xml),
  html: legacy(async () => (await import("@codemirror/legacy-modes/mode/xml")).html),
  r: legacy(async () => (await import("@codemirror/legacy-modes/mode/r")).r),
  julia: legacy(async () => (await import("@codemirror/legacy-modes/mode/julia")).julia),
  sql: legacy(async () => (await import("@codemirror/legacy-modes/mode/sql")).standardSQL),
  c: legacy(async () => (await import("@codemirror/legacy-modes/mode/clike")).c),
  cpp: legacy(async () => (await import("@codemirror/legacy-modes/mode/clike")).cpp),
  java: legacy(async () => (await import("@codemirror/legacy-modes/mode/clike")).java),
  csharp: legacy(async () => (await import("@codemirror/legacy-modes/mode/clike")).csharp),
  scala: legacy(async () => (await import("@codemirror/legacy-modes/mode/clike")).scala),
  kotlin: legacy(async () => (await import("@codemirror/legacy-modes/mode/clike")).kotlin),
  go: legacy(async () => (await import("@codemirror/legacy-modes/mode/go")).go),
  rust: legacy(async () => (await import("@codemirror/legacy-modes/mode/rust")).rust),
  ruby: legacy(async () => (await import("@codemirror/legacy-modes/mode/ruby")).ruby),
  lua: legacy(async () => (await import("@codemirror/legacy-modes/mode/lua")).lua),
  properties: legacy(async () => (await import("@codemirror/legacy-modes/mode/properties")).properties),
  dockerfile: legacy(async () => (await import("@codemirror/legacy-modes/mode/dockerfile")).dockerFile),
  diff: legacy(async () => (await import("@codemirror/legacy-modes/mode/diff")).diff),
  stex: legacy(async () => (await import("@codemirror/legacy-modes/mode/stex")).stex),
  perl: legacy(async () => (await import("@codemirror/legacy-modes/mode/perl")).perl),
  powershell: legacy(async () => (await import("@codemirror/legacy-modes/mode/powershell")).powerShell),
  haskell: legacy(async () => (await import("@codemirror/legacy-modes/mode/haskell")).haskell),
  octave: legacy(async () => (await import("@codemirror/legacy-modes/mode/octave")).octave),
  scheme: legacy(async () => (await import("@codemirror/legacy-modes/mode/scheme")).scheme),
  clojure: legacy(async () => (await import("@codemirror/legacy-modes/mode/clojure")).clojure),
  "common-lisp": legacy(async () => (await import("@codemirror/legacy-modes/mode/commonlisp")).commonLisp),
  swift: legacy(async () => (await import("@codemirror/legacy-modes/mode/swift")).swift),
  sas: legacy(async () => (await import("@codemirror/legacy-modes/mode/sas")).sas),
};


/** Languages by lower-case file extension (without the dot) or whole file name. */
const fileLanguages: Record<string, string> = {
  py: "python", pyw: "python", pyi: "python", ipy: "python", sage: "python",
  md: "markdown", markdown: "markdown", mdown: "markdown", mkd: "markdown", rmd: "markdown", qmd: "markdown",
  json: "json", ipynb: "json", geojson: "json", jsonl: "json", ndjson: "json", json5: "json", jupyterlab_settings: "json",
  js: "javascript", mjs: "javascript", cjs: "javascript", jsx: "javascript",
  ts: "typescript", tsx: "typescript", mts: "typescript", cts: "typescript",
  sh: "shell", bash: "shell", zsh: "shell", ksh: "shell", bashrc: "shell", zshrc: "shell", profile: "shell",
  bash_profile: "shell", envrc: "shell",
  yaml: "yaml", yml: "yaml", toml: "toml", css: "css", scss: "scss", less: "less",
  xml: "xml", svg: "xml", xsd: "xml", xsl: "xml", plist: "xml", html: "html", htm: "html", xhtml: "html",
  r: "r", rprofile: "r", "r-profile": "r", jl: "julia", sql: "sql",
  c: "c", h: "c", cpp: "cpp", hpp: "cpp", hh: "cpp", cc: "cpp", cxx: "cpp",
  java: "java", cs: "csharp", scala: "scala", kt: "kotlin", kts: "kotlin",
  go: "go", rs: "rust", rb: "ruby", lua: "lua",
  ini: "properties", cfg: "properties", conf: "properties", properties: "properties", editorconfig: "properties",
  gitconfig: "properties", env: "properties",
  dockerfile: "dockerfile", containerfile: "dockerfile", diff: "diff", patch: "diff",
  tex: "stex", sty: "stex", cls: "stex", bib: "stex", pl: "perl", pm: "perl", ps1: "powershell",
};

const cache = new Map<string, Promise<Extension | null>>();

/** loadLanguage resolves a language name (a kernel's language_info.name or
 *  codemirror_mode, any case) to its syntax extension; null if unknown or
 *  if the mode failed to load. */
export function loadLanguage(name: string): Promise<Extension | null> {
  const key = languageKey(name);
  const loader = loaders[key];
  if (!loader) return Promise.resolve(null);
  let p = cache.get(key);
  if (!p) {
    p = loader().catch((e) => {
      console.warn("language mode failed to load", key, e);
      return null;
    });
    cache.set(key, p);
  }
  return p;
}

/** fileLanguage names the language of a file by its name, or null. */
export function fileLanguage(fileName: string): string | null {
  const lower = fileName.toLowerCase();
  const dot = lower.lastIndexOf(".");
  const candidates = [lower.replace(/^\./, ""), dot >= 0 ? lower.slice(dot + 1) : ""];
  if (lower.startsWith("dockerfile")) candidates.unshift("dockerfile");
  for (const c of candidates) {
    if (c && fileLanguages[c]) return fileLanguages[c];
  }
  return null;
}

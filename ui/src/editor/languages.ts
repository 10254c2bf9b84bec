// Syntax modes by file name, each loaded lazily (its own chunk).
import type { Extension } from "@codemirror/state";
import { StreamLanguage } from "@codemirror/language";
import type { StreamParser } from "@codemirror/language";

import { tags } from "@lezer/highlight";

// Legacy modes emit a few token names StreamLanguage does not know.
const legacy = (p: StreamParser<unknown>): Extension =>
  StreamLanguage.define({ ...p, tokenTable: { property: tags.propertyName, "string-2": tags.special(tags.string), ...p.tokenTable } });

type Loader = () => Promise<Extension>;

// Keys are lower-case extensions (without the dot) or whole lower-case names.
const loaders: Record<string, Loader> = {
  py: async () => (await import("@codemirror/lang-python")).python(),
  md: async () => (await import("@codemirror/lang-markdown")).markdown(),
  json: async () => legacy((await import("@codemirror/legacy-modes/mode/javascript")).json),
  js: async () => legacy((await import("@codemirror/legacy-modes/mode/javascript")).javascript),
  ts: async () => legacy((await import("@codemirror/legacy-modes/mode/javascript")).typescript),
  sh: async () => legacy((await import("@codemirror/legacy-modes/mode/shell")).shell),
  yaml: async () => legacy((await import("@codemirror/legacy-modes/mode/yaml")).yaml),
  toml: async () => legacy((await import("@codemirror/legacy-modes/mode/toml")).toml),
  css: async () => legacy((await import("@codemirror/legacy-modes/mode/css")).css),
  scss: async () => legacy((await import("@codemirror/legacy-modes/mode/css")).sCSS),
  less: async () => legacy((await import("@codemirror/legacy-modes/mode/css")).less),
  xml: async () => legacy((await import("@codemirror/legacy-modes/mode/xml")).xml),
  html: async () => legacy((await import("@codemirror/legacy-modes/mode/xml")).html),
  r: async () => legacy((await import("@codemirror/legacy-modes/mode/r")).r),
  jl: async () => legacy((await import("@codemirror/legacy-modes/mode/julia")).julia),
  sql: async () => legacy((await import("@codemirror/legacy-modes/mode/sql")).standardSQL),
  c: async () => legacy((await import("@codemirror/legacy-modes/mode/clike")).c),
  cpp: async () => legacy((await import("@codemirror/legacy-modes/mode/clike")).cpp),
  java: async () => legacy((await import("@codemirror/legacy-modes/mode/clike")).java),
  cs: async () => legacy((await import("@codemirror/legacy-modes/mode/clike")).csharp),
  scala: async () => legacy((await import("@codemirror/legacy-modes/mode/clike")).scala),
  kt: async () => legacy((await import("@codemirror/legacy-modes/mode/clike")).kotlin),
  go: async () => legacy((await import("@codemirror/legacy-modes/mode/go")).go),
  rs: async () => legacy((await import("@codemirror/legacy-modes/mode/rust")).rust),
  rb: async () => legacy((await import("@codemirror/legacy-modes/mode/ruby")).ruby),
  lua: async () => legacy((await import("@codemirror/legacy-modes/mode/lua")).lua),
  ini: async () => legacy((await import("@codemirror/legacy-modes/mode/properties")).properties),
  dockerfile: async () => legacy((await import("@codemirror/legacy-modes/mode/dockerfile")).dockerFile),
  diff: async () => legacy((await import("@codemirror/legacy-modes/mode/diff")).diff),
  tex: async () => legacy((await import("@codemirror/legacy-modes/mode/stex")).stex),
  pl: async () => legacy((await import("@codemirror/legacy-modes/mode/perl")).perl),
  ps1: async () => legacy((await import("@codemirror/legacy-modes/mode/powershell")).powerShell),
};

const aliases: Record<string, string> = {
  pyw: "py", pyi: "py", ipy: "py", sage: "py",
  markdown: "md", mdown: "md", mkd: "md", rmd: "md", qmd: "md",
  ipynb: "json", geojson: "json", jsonl: "json", ndjson: "json", json5: "json", jupyterlab_settings: "json",
  mjs: "js", cjs: "js", jsx: "js", tsx: "ts", mts: "ts", cts: "ts",
  bash: "sh", zsh: "sh", ksh: "sh", bashrc: "sh", zshrc: "sh", profile: "sh", bash_profile: "sh", envrc: "sh",
  yml: "yaml", htm: "html", xhtml: "html", svg: "xml", xsd: "xml", xsl: "xml", plist: "xml",
  h: "c", hpp: "cpp", hh: "cpp", cc: "cpp", cxx: "cpp", kts: "kt",
  cfg: "ini", conf: "ini", properties: "ini", editorconfig: "ini", gitconfig: "ini", env: "ini",
  patch: "diff", sty: "tex", cls: "tex", bib: "tex", pm: "pl", "r-profile": "r", rprofile: "r",
  containerfile: "dockerfile",
};

/** loadLanguage returns the syntax extension for a file name, or null. */
export async function loadLanguage(fileName: string): Promise<Extension | null> {
  const lower = fileName.toLowerCase();
  const dot = lower.lastIndexOf(".");
  const candidates = [lower.replace(/^\./, ""), dot >= 0 ? lower.slice(dot + 1) : ""];
  if (lower.startsWith("dockerfile")) candidates.unshift("dockerfile");
  for (const c of candidates) {
    if (!c) continue;
    const key = loaders[c] ? c : aliases[c];
    if (key && loaders[key]) return loaders[key]();
  }
  return null;
}

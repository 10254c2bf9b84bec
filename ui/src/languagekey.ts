// The one name each language goes by in the UI. Kernels and notebooks
// name a language by language_info.name or codemirror_mode ("python",
// "ipython", "IPython", "bash", "sh" …); the editor's modes (languages.ts)
// and the notebook page's choice of colouring (notebook/index.ts) compare
// these keys, so ipykernel's "ipython" is the "python" the page coloured
// its cells with, not a new language that recolours every cell.

/** Other names kernels use for these languages (language_info.name, codemirror_mode). */
const languageAliases: Record<string, string> = {
  ipython: "python", ipython3: "python", python3: "python", bash: "shell", sh: "shell", "c++": "cpp", "c#": "csharp", matlab: "octave",
};

/** languageKey is name lower-cased, aliases resolved. */
export function languageKey(name: string): string {
  const key = name.toLowerCase();
  return languageAliases[key] ?? key;
}

// KaTeX is loaded on first use (a dynamic import): most notebooks and most
// outputs have no math.
import type katexNS from "katex";

type Katex = typeof katexNS;
let mod: Katex | null = null;
let loading: Promise<Katex> | null = null;

/** katexNow is KaTeX if it is loaded already. */
export function katexNow(): Katex | null {
  return mod;
}

/** loadKatex loads KaTeX once. */
export function loadKatex(): Promise<Katex> {
  if (mod) return Promise.resolve(mod);
  if (!loading) {
    loading = import("katex").then((m) => {
      mod = (m.default ?? m) as Katex;
      return mod;
    });
  }
  return loading;
}

/** preloadKatex starts loading KaTeX and its two most used fonts before the
 *  first math is rendered, so that math is laid out once, in its own fonts,
 *  instead of as pending source, then in fallback fonts, then again when the
 *  fonts arrive (each a layout of everything on the page). Failures are
 *  reported where math is rendered. */
export function preloadKatex(): void {
  void loadKatex().catch(() => {});
  const fonts = typeof document !== "undefined" ? document.fonts : undefined;
  if (!fonts) return;
  for (const f of ["1em KaTeX_Main", "italic 1em KaTeX_Math"]) void fonts.load(f).catch(() => {});
}

/** katexOptions are the only options Quire renders math with: never trust input. */
export function katexOptions(display: boolean) {
  return {
    displayMode: display,
    throwOnError: false,
    trust: false,
    output: "htmlAndMathml" as const,
    strict: "ignore" as const,
    maxExpand: 1000,
    maxSize: 50,
  };
}

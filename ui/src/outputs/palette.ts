// The colours of text outputs, per theme: the 16 ANSI foregrounds, a
// separate set of 16 ANSI backgrounds, and the backgrounds output text sits
// on. This module is the one source: paletteCSS() makes the stylesheet the
// page uses (palettecss.ts installs it), and the contrast test reads the
// same values.
//
// Foregrounds must be readable (WCAG AA, contrast >= 4.5) on every output
// background of their theme; backgrounds are tints, so the theme's text
// colour stays readable on them (IPython highlights the failing part of a
// traceback with ESC[43m, often with a grey 256-colour foreground on it).
// 256-colour and truecolor foregrounds are arbitrary (Pygments' colours in
// IPython tracebacks), so readable() moves each towards black or white
// until it reaches the ratio, separately for each theme. Pure: no DOM.

export type Theme = "light" | "dark";

export interface ThemePalette {
  /** The page's background and text colour (style.css --bg and --fg). */
  readonly bg: string;
  readonly fg: string;
  /** Every background plain output text can sit on (page, code, stderr, error). */
  readonly outputBgs: readonly string[];
  readonly stderrBg: string;
  readonly errorBg: string;
  /** ANSI colours 0–15 as text (SGR 30–37, 90–97). */
  readonly ansi: readonly string[];
  /** ANSI colours 0–15 as background (SGR 40–47, 100–107). */
  readonly ansiBg: readonly string[];
}

/** MIN_CONTRAST is WCAG AA for normal text. */
export const MIN_CONTRAST = 4.5;

const light: ThemePalette = {
  bg: "#ffffff",
  fg: "#1d2126",
  stderrBg: "#fdf0ef",
  errorBg: "#fdf0ef",
  outputBgs: ["#ffffff", "#fdf0ef", "#f7f7f9", "#f5f6f8"],
  ansi: [
    "#2e3436", "#c01c28", "#1a7e36", "#8a6100", "#1c56c4", "#a0369a", "#0f7987", "#6a6e74",
    "#5e6469", "#d71a23", "#1e7e38", "#8c6700", "#2768da", "#af3ca7", "#117986", "#6a6d71",
  ],
  ansiBg: [
    "#d1d2d3", "#f6cdd0", "#cde3d3", "#fbe8a6", "#cddaf2", "#ead3e9", "#cae2e5", "#e5e7e9",
    "#dcddde", "#f8cdcf", "#cfead7", "#fff2b0", "#d0dffa", "#f1d5ef", "#cce8eb", "#ecedee",
  ],
};

const dark: ThemePalette = {
  bg: "#16181c",
  fg: "#e3e6ea",
  stderrBg: "#2d1d1f",
  errorBg: "#2d1d1f",
  outputBgs: ["#16181c", "#2d1d1f", "#1c1f24", "#1e2126"],
  ansi: [
    "#868b90", "#f26d6d", "#6cd38b", "#e5c25a", "#6ea2f7", "#d98ad3", "#56c7d6", "#c9ced6",
    "#848a93", "#ff8f8f", "#8ff0a4", "#f6d776", "#99c1f9", "#f0a8ea", "#86e1ec", "#f1f3f5",
  ],
  ansiBg: [
    "#202326", "#5c2929", "#295035", "#574a22", "#2a3e5e", "#523450", "#214c51", "#4c4e51",
    "#303236", "#613636", "#365b3e", "#5d522d", "#3a495f", "#5b4059", "#33565a", "#5c5c5d",
  ],
};

export const PALETTES: Readonly<Record<Theme, ThemePalette>> = { light, dark };

type RGB = [number, number, number];

/** parseColor reads "#rrggbb", "#rgb" or "rgb(r, g, b)"; null otherwise. */
export function parseColor(c: string): RGB | null {
  const s = c.trim().toLowerCase();
  let m = /^#([0-9a-f]{6})$/.exec(s);
  if (m) {
    const n = parseInt(m[1], 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  m = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/.exec(s);
  if (m) return [parseInt(m[1] + m[1], 16), parseInt(m[2] + m[2], 16), parseInt(m[3] + m[3], 16)];
  m = /^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$/.exec(s);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])].map((v) => Math.min(255, v)) as RGB;
  return null;
}

/** luminance is WCAG 2's relative luminance of an sRGB colour. */
export function luminance([r, g, b]: RGB): number {
  const lin = (v: number) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** contrast is the WCAG contrast ratio of two colours (1–21). */
export function contrast(a: string, b: string): number {
  const ca = parseColor(a);
  const cb = parseColor(b);
  if (!ca || !cb) throw new Error(`contrast: not a colour: ${ca ? b : a}`);
  const la = luminance(ca);
  const lb = luminance(cb);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

function hex([r, g, b]: RGB): string {
  return "#" + [r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("");
}

/** readable returns fg, or fg moved towards black or white (whichever the
 *  backgrounds need) by the least amount that makes its contrast with each
 *  of bgs at least MIN_CONTRAST. Colours it cannot parse are returned as
 *  they are. */
export function readable(fg: string, bgs: readonly string[]): string {
  const c = parseColor(fg);
  if (!c || bgs.length === 0) return fg;
  const worst = (x: string) => Math.min(...bgs.map((b) => contrast(x, b)));
  if (worst(fg) >= MIN_CONTRAST) return fg;
  // Dark backgrounds want lighter text. Average luminance decides; the
  // backgrounds of one theme are all light or all dark.
  const avg = bgs.reduce((s, b) => s + luminance(parseColor(b) ?? [0, 0, 0]), 0) / bgs.length;
  const to: RGB = avg < 0.18 ? [255, 255, 255] : [0, 0, 0];
  const at = (k: number) => hex(c.map((v, i) => Math.round(v + (to[i] - v) * k)) as RGB);
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 12; i++) {
    const mid = (lo + hi) / 2;
    if (worst(at(mid)) >= MIN_CONTRAST) hi = mid;
    else lo = mid;
  }
  return at(hi);
}

/** paletteCSS is the stylesheet of the palettes: the variables per theme
 *  (dark under prefers-color-scheme) and the rules that use them. */
export function paletteCSS(): string {
  const vars = (p: ThemePalette) =>
    [
      ...p.ansi.map((c, i) => `--ansi-${i}: ${c};`),
      ...p.ansiBg.map((c, i) => `--ansi-bg-${i}: ${c};`),
      `--stderr-bg: ${p.stderrBg};`,
      `--error-bg: ${p.errorBg};`,
    ].join(" ");
  const rules: string[] = [
    `:root { ${vars(light)} }`,
    `@media (prefers-color-scheme: dark) { :root { ${vars(dark)} } }`,
  ];
  for (let i = 0; i < 16; i++) {
    rules.push(`.q-ansi-fg-${i} { color: var(--ansi-${i}); }`);
    rules.push(`.q-ansi-bg-${i} { background: var(--ansi-bg-${i}); }`);
    // inverse video of colour i: its text colour becomes the background
    rules.push(`.q-ansi-fg-inv.q-ansi-bg-${i} { background: var(--ansi-${i}); }`);
  }
  // 256-colour and truecolor text: textview sets both themes' colours
  rules.push(`.q-ansi-fg-x { color: var(--q-fg-light); }`);
  rules.push(`@media (prefers-color-scheme: dark) { .q-ansi-fg-x { color: var(--q-fg-dark); } }`);
  return rules.join("\n");
}

/** themedColor is a 256-colour or truecolor foreground for each theme, each
 *  made readable on bg (a palette index, a CSS colour, or null for the
 *  output backgrounds). */
export function themedColor(fg: string, bg: number | string | null): Record<Theme, string> {
  const on = (p: ThemePalette): string[] =>
    bg === null ? [...p.outputBgs] : typeof bg === "number" ? [p.ansiBg[bg] ?? p.bg] : [bg];
  return { light: readable(fg, on(light)), dark: readable(fg, on(dark)) };
}

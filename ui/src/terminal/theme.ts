// The terminal's colours come from the page's CSS variables (style.css, and
// the ANSI palette of notebook outputs, outputs/palettecss.ts), so the
// terminal looks like the rest of Quire in both themes and changes with
// them. xterm.js cannot read CSS itself: xtermTheme reads the variables
// now, and followTheme sets the theme again whenever they may have
// changed (the OS switched between light and dark, or the page's root
// element changed its class or data-theme).
import type { ITheme } from "@xterm/xterm";

const ANSI_NAMES = [
  "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
  "brightBlack", "brightRed", "brightGreen", "brightYellow", "brightBlue", "brightMagenta", "brightCyan", "brightWhite",
] as const;

/** themeFrom builds xterm's theme from a reader of CSS variables ("" when unset). */
export function themeFrom(v: (name: string) => string): ITheme {
  const theme: ITheme = {
    background: v("--bg") || undefined,
    foreground: v("--fg") || undefined,
    cursor: v("--fg") || undefined,
    cursorAccent: v("--bg") || undefined,
    selectionBackground: v("--bg-select") || undefined,
    selectionForeground: v("--fg") || undefined,
    selectionInactiveBackground: v("--bg-hover") || undefined,
  };
  ANSI_NAMES.forEach((name, i) => {
    const c = v(`--ansi-${i}`);
    if (c) theme[name] = c;
  });
  return theme;
}

/** xtermTheme reads the page's variables now. */
export function xtermTheme(): ITheme {
  const cs = getComputedStyle(document.documentElement);
  return themeFrom((name) => cs.getPropertyValue(name).trim());
}

/** followTheme calls apply with the current theme now and on every theme change. */
export function followTheme(apply: (t: ITheme) => void): void {
  const again = () => apply(xtermTheme());
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", again);
  new MutationObserver(again).observe(document.documentElement, { attributes: true, attributeFilter: ["class", "data-theme", "style"] });
  again();
}

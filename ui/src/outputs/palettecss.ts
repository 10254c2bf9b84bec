// Installs the output palettes' stylesheet (palette.ts) once, on import.
// The page's CSP allows inline style.
import { paletteCSS } from "./palette";

const ID = "q-ansi-palette";

if (typeof document !== "undefined" && !document.getElementById(ID)) {
  const style = document.createElement("style");
  style.id = ID;
  style.textContent = paletteCSS();
  document.head.append(style);
}

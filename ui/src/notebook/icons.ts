// The toolbar's icons: small inline SVGs drawn on a 16×16 grid in
// currentColor, so they follow the theme and the button's state. Each is a
// list of path data; strokes are 1.5 wide with round ends, "fill:" paths are
// filled instead. Icons are decoration: the button carries the name.

const SVG_NS = "http://www.w3.org/2000/svg";

const ICONS = {
  save: ["M3 2.5h8l2.5 2.5v8.5h-10.5z", "M5.5 2.5v3.5h4.5v-3.5", "M5.5 13.5v-4h5v4"],
  revert: ["M3.5 6.5a5 5 0 1 1 .5 4.5", "M3.5 2.5v4h4"],
  plus: ["M8 3v10", "M3 8h10"],
  trash: ["M3 4.5h10", "M6.5 4.5v-2h3v2", "M4.5 4.5l.7 9h5.6l.7-9", "M7 7v4.5", "M9 7v4.5"],
  cut: ["M6 10l6-8", "M10 10l-6-8", "M4.5 9.5a2 2 0 1 0 .01 0z", "M11.5 9.5a2 2 0 1 0 .01 0z"],
  copy: ["M5.5 5.5h8v8h-8z", "M3 10.5h-.5v-8h8v.5"],
  paste: ["M4 3h-1.5v11h11v-11h-1.5", "M5.5 1.5h5v3h-5z", "M5 8h6", "M5 10.5h6"],
  up: ["M8 13.5v-11", "M3.5 7l4.5-4.5 4.5 4.5"],
  down: ["M8 2.5v11", "M3.5 9l4.5 4.5 4.5-4.5"],
  run: ["fill:M4 2.5v11l9-5.5z"],
  runAll: ["fill:M1.5 2.5v11l6.5-5.5z", "fill:M8 2.5v11l6.5-5.5z"],
  stop: ["fill:M3.5 3.5h9v9h-9z"],
  restart: ["M13 8a5 5 0 1 1-1.5-3.5", "M12.5 1.5v3.5h-3.5"],
  restartRun: ["M10.5 7.5a4.5 4.5 0 1 1-1.32-3.18", "M9.7 1.2v3.3h-3.3", "fill:M11.5 9.5v5l3.5-2.5z"],
  clear: ["M2.5 13.5h11", "M4 10.5l6-7.5 3 2.5-5.5 7", "M4 10.5l2 2.5"],
  keyboard: ["M1.5 4h13v8.5h-13z", "M4 6.5h1", "M7 6.5h1", "M10 6.5h1", "M4 9.5h8"],
  kernel: ["M4.5 4.5h7v7h-7z", "M6.5 2v2.5", "M9.5 2v2.5", "M6.5 11.5v2.5", "M9.5 11.5v2.5", "M2 6.5h2.5", "M2 9.5h2.5", "M11.5 6.5h2.5", "M11.5 9.5h2.5"],
} as const;

export type IconName = keyof typeof ICONS;

/** icon is the SVG for name, hidden from assistive technology. */
export function icon(name: IconName): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "q-icon");
  for (const d of ICONS[name]) {
    const p = document.createElementNS(SVG_NS, "path");
    const filled = d.startsWith("fill:");
    p.setAttribute("d", filled ? d.slice(5) : d);
    if (filled) p.setAttribute("fill", "currentColor");
    else {
      p.setAttribute("fill", "none");
      p.setAttribute("stroke", "currentColor");
      p.setAttribute("stroke-width", "1.5");
      p.setAttribute("stroke-linecap", "round");
      p.setAttribute("stroke-linejoin", "round");
    }
    svg.appendChild(p);
  }
  return svg;
}

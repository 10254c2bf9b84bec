// Stands in for the "sanitize-html" package that @jupyter-widgets/base-manager
// imports (vite.config.ts aliases it here): Quire has one HTML sanitiser in
// the page (outputs/sanitize.ts, DOMPurify), and the widget manager's own
// inline_sanitize is overridden to use it. This keeps sanitize-html and its
// CSS parser out of the bundle; options are ignored (the page's rules apply).
import { sanitize } from "../outputs/sanitize";

export default function sanitizeHtml(html: string): string {
  const div = document.createElement("div");
  div.append(sanitize(html).fragment);
  return div.innerHTML;
}

import { mountShell } from "../shell";
import { h } from "../dom";

export function mount(root: HTMLElement, path: string): void {
  const s = mountShell(root, path);
  s.main.appendChild(h("p", { text: "editor view of " + path }));
}

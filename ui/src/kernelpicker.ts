// The kernel picker: a dialog listing the server's kernelspecs (logo and
// display name), optionally with "No kernel". The file browser asks it for
// a new notebook's kernel, the notebook page for "Change kernel". The last
// choice for a new notebook is remembered in this browser and preselected.
import type { KernelSpecModel, KernelSpecs } from "./api";
import { h } from "./dom";

/** NO_KERNEL is the choice of no kernel at all. */
export const NO_KERNEL = "";

const LAST_KEY = "quire-new-notebook-kernel";

/** lastKernel is the kernel last chosen for a new notebook (NO_KERNEL for none), or null. */
export function lastKernel(): string | null {
  try {
    return localStorage.getItem(LAST_KEY);
  } catch {
    return null;
  }
}

export function rememberKernel(name: string): void {
  try {
    localStorage.setItem(LAST_KEY, name);
  } catch {
    /* private mode: nothing remembered */
  }
}

/** specNames are the kernelspecs' names, by display name. */
export function specNames(specs: KernelSpecs): string[] {
  const ks = specs.kernelspecs;
  return Object.keys(ks).sort((a, b) => (ks[a].spec.display_name || a).localeCompare(ks[b].spec.display_name || b) || a.localeCompare(b));
}

/** preselect is the choice to offer first: wanted when it is still on offer, else the default. */
export function preselect(specs: KernelSpecs, wanted: string | null, allowNone: boolean): string {
  if (wanted !== null && (specs.kernelspecs[wanted] || (allowNone && wanted === NO_KERNEL))) return wanted;
  if (specs.kernelspecs[specs.default]) return specs.default;
  return specNames(specs)[0] ?? NO_KERNEL;
}

/** kernelLogo is the spec's 64×64 logo, or null when it has none. */
export function kernelLogo(spec: KernelSpecModel | undefined): HTMLImageElement | null {
  const src = spec?.resources?.["logo-64x64"];
  if (!src) return null;
  return h("img", { class: "q-klogo", src, alt: "", width: "20", height: "20", "data-testid": "kernel-logo" });
}

export interface PickOptions {
  title: string;
  message: string;
  ok: string;
  /** selected is the choice checked first. */
  selected: string;
  allowNone: boolean;
}

/** pickKernel asks for a kernelspec: its name, NO_KERNEL, or null when cancelled. */
export function pickKernel(specs: KernelSpecs, o: PickOptions): Promise<string | null> {
  return new Promise((resolve) => {
    const titleId = "kp-title-" + Math.random().toString(36).slice(2);
    const group = h("div", { class: "q-kpick", role: "radiogroup", "aria-labelledby": titleId });
    const choice = (name: string, label: string, logo: HTMLElement | null) => {
      const input = h("input", { type: "radio", name: "kernel", value: name });
      input.checked = name === o.selected;
      const row = h("label", { class: "q-kpick-row", "data-testid": "kernel-option", "data-name": name }, input, logo ?? h("span", { class: "q-klogo q-klogo-none", "aria-hidden": "true" }), h("span", { text: label }));
      row.addEventListener("dblclick", () => {
        input.checked = true;
        done(name);
      });
      group.appendChild(row);
    };
    for (const n of specNames(specs)) {
      const ks = specs.kernelspecs[n];
      choice(n, ks.spec.display_name || n, kernelLogo(ks));
    }
    if (o.allowNone) choice(NO_KERNEL, "No kernel", null);

    const dlg = h("dialog", { class: "q-dialog", "aria-labelledby": titleId, "data-testid": "kernel-picker" });
    const form = h("form", { method: "dialog" });
    const cancel = h("button", { type: "button", class: "q-btn", text: "Cancel" });
    const ok = h("button", { type: "submit", class: "q-btn primary", text: o.ok });
    form.append(h("h2", { id: titleId, text: o.title }), h("p", { text: o.message }), group, h("div", { class: "q-dialog-buttons" }, cancel, ok));
    dlg.appendChild(form);
    let result: string | null = null;
    const done = (v: string | null) => {
      result = v;
      dlg.close();
    };
    cancel.addEventListener("click", () => done(null));
    group.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const picked = group.querySelector<HTMLInputElement>("input:checked");
      if (picked) done(picked.value);
    });
    dlg.addEventListener("close", () => {
      dlg.remove();
      resolve(result);
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    (group.querySelector<HTMLInputElement>("input:checked") ?? group.querySelector<HTMLInputElement>("input"))?.focus();
  });
}

// The notebook page's menu bar (File, Edit, View, Run, Kernel, Help): every
// command of the registry, grouped, with its shortcut, greyed out when it
// cannot run and checked when it is a toggle that is on. It follows the
// ARIA menubar pattern: one tab stop; Left/Right move along the bar (and
// between open menus), Down/Enter/Space open a menu, Up/Down/Home/End move
// in it, Enter/Space run the item, Escape closes and gives the focus back
// to where it was before the menu bar took it (the notebook).
//
// The root carries class nb-menu: commands.ts's keyIsForNotebook leaves
// the keys typed here to the menu bar.
import { h } from "../dom";
import { MENUS, type CommandRegistry, type MenuName, type NotebookCommand } from "./registry";

export interface MenuBarHost {
  /** run runs a command (the menu bar has already put the focus back). */
  run(id: string): void;
  /** focusNotebook puts the focus on the notebook when there is nowhere better to return to. */
  focusNotebook(): void;
}

/** menuItems lays out one menu: its commands in order, a null between groups. */
export function menuItems(cmds: readonly NotebookCommand[]): (NotebookCommand | null)[] {
  const out: (NotebookCommand | null)[] = [];
  let group: string | undefined;
  for (const c of cmds) {
    if (out.length > 0 && c.group !== group) out.push(null);
    group = c.group;
    out.push(c);
  }
  return out;
}

/** nextIndex is the index after (dir 1) or before (dir -1) i among n, wrapping. */
export function nextIndex(i: number, n: number, dir: number): number {
  return n === 0 ? -1 : (((i + dir) % n) + n) % n;
}

export class MenuBar {
  readonly el: HTMLElement;
  private tops: HTMLButtonElement[] = [];
  private lists: HTMLElement[] = [];
  private open = -1;
  private returnTo: HTMLElement | null = null;

  constructor(
    private reg: CommandRegistry,
    private host: MenuBarHost,
  ) {
    this.el = h("div", { class: "nb-menu nb-menubar", role: "menubar", "aria-label": "Notebook menus", "data-testid": "menubar" });
    MENUS.forEach((name, i) => {
      const id = `nb-menu-${name.toLowerCase()}`;
      const top = h("button", {
        type: "button",
        class: "nb-menubar-top",
        role: "menuitem",
        id: id + "-button",
        "aria-haspopup": "menu",
        "aria-expanded": "false",
        "aria-controls": id,
        tabindex: i === 0 ? "0" : "-1",
        "data-testid": "menu-" + name.toLowerCase(),
        text: name,
      });
      const list = h("div", { class: "nb-menu-list", role: "menu", id, "aria-labelledby": id + "-button", "data-testid": "menu-list", "data-menu": name, hidden: true });
      top.addEventListener("click", () => (this.open === i ? this.close(false) : this.openMenu(i, "none")));
      top.addEventListener("mouseenter", () => {
        if (this.open >= 0 && this.open !== i) this.openMenu(i, "none");
      });
      top.addEventListener("keydown", (ev) => this.topKey(ev, i));
      list.addEventListener("keydown", (ev) => this.listKey(ev, i));
      list.addEventListener("click", (ev) => {
        const item = (ev.target as HTMLElement).closest<HTMLElement>("[data-command]");
        if (item) this.activate(item);
      });
      list.addEventListener("mousemove", (ev) => {
        const item = (ev.target as HTMLElement).closest<HTMLElement>("[data-command]");
        if (item && document.activeElement !== item) item.focus();
      });
      this.tops.push(top);
      this.lists.push(list);
      this.el.append(h("div", { class: "nb-menubar-menu", role: "none" }, top, list));
    });
    // Remember where the focus came from, to give it back.
    this.el.addEventListener("focusin", (ev) => {
      const from = ev.relatedTarget as HTMLElement | null;
      if (from && !this.el.contains(from)) this.returnTo = from;
      else if (!from && !this.returnTo) this.returnTo = null;
    });
    this.el.addEventListener("focusout", (ev) => {
      const to = ev.relatedTarget as Node | null;
      if (to && !this.el.contains(to)) {
        this.close(false);
        this.returnTo = null;
      }
    });
    document.addEventListener("mousedown", (ev) => {
      if (this.open >= 0 && !this.el.contains(ev.target as Node)) this.close(false);
    });
  }

  /** isOpen: a menu is open. */
  get isOpen(): boolean {
    return this.open >= 0;
  }

  /** openMenu opens menu i (closing another), focusing its first or last item, or none. */
  openMenu(i: number, focus: "first" | "last" | "none"): void {
    if (this.open !== i) this.close(false);
    const name = MENUS[i];
    this.fill(this.lists[i], name);
    this.open = i;
    this.setTabStop(i);
    const top = this.tops[i];
    const list = this.lists[i];
    top.setAttribute("aria-expanded", "true");
    top.classList.add("open");
    list.hidden = false;
    // Keep the menu on screen (the right-hand menus on a narrow page).
    list.style.left = "";
    const r = list.getBoundingClientRect();
    const over = r.right - (document.documentElement.clientWidth - 4);
    if (over > 0) list.style.left = `${-Math.min(over, Math.max(0, r.left - 4))}px`;
    const items = this.items(i);
    if (focus === "first") items[0]?.focus();
    else if (focus === "last") items[items.length - 1]?.focus();
    else top.focus();
  }

  /** close closes the open menu; back: give the focus back to where it was. */
  close(back: boolean): void {
    if (this.open >= 0) {
      const top = this.tops[this.open];
      top.setAttribute("aria-expanded", "false");
      top.classList.remove("open");
      this.lists[this.open].hidden = true;
      this.open = -1;
    }
    if (back) this.giveBack();
  }

  private giveBack(): void {
    const to = this.returnTo;
    this.returnTo = null;
    if (to && to.isConnected && to !== document.body) to.focus();
    else this.host.focusNotebook();
  }

  private setTabStop(i: number): void {
    this.tops.forEach((t, j) => t.setAttribute("tabindex", j === i ? "0" : "-1"));
  }

  private items(i: number): HTMLElement[] {
    return [...this.lists[i].querySelectorAll<HTMLElement>("[data-command]")];
  }

  /** fill renders a menu's items as they are now (enabled, checked). */
  private fill(list: HTMLElement, name: MenuName): void {
    list.replaceChildren();
    for (const c of menuItems(this.reg.menu(name))) {
      if (!c) {
        list.append(h("div", { role: "separator", class: "nb-menu-sep" }));
        continue;
      }
      const enabled = !c.enabled || c.enabled();
      const toggle = !!c.checked;
      const on = toggle && c.checked!();
      const item = h(
        "div",
        {
          class: "nb-menu-item",
          role: toggle ? "menuitemcheckbox" : "menuitem",
          tabindex: "-1",
          "data-command": c.id,
          "aria-disabled": enabled ? null : "true",
          "aria-checked": toggle ? String(on) : null,
          "aria-keyshortcuts": c.keys?.length ? ariaKeys(c.keys[0]) : null,
        },
        h("span", { class: "nb-menu-check", "aria-hidden": "true", text: on ? "✓" : "" }),
        h("span", { class: "nb-menu-label", text: c.label }),
        h("kbd", { class: "nb-menu-keys", text: c.keys?.[0] ?? "" }),
      );
      list.append(item);
    }
  }

  private activate(item: HTMLElement): void {
    if (item.getAttribute("aria-disabled") === "true") return;
    const id = item.getAttribute("data-command")!;
    this.close(true);
    this.host.run(id);
  }

  private topKey(ev: KeyboardEvent, i: number): void {
    const n = this.tops.length;
    let handled = true;
    switch (ev.key) {
      case "ArrowRight":
      case "ArrowLeft": {
        const j = nextIndex(i, n, ev.key === "ArrowRight" ? 1 : -1);
        if (this.open >= 0) this.openMenu(j, "first");
        else {
          this.setTabStop(j);
          this.tops[j].focus();
        }
        break;
      }
      case "ArrowDown":
      case "Enter":
      case " ":
        this.openMenu(i, "first");
        break;
      case "ArrowUp":
        this.openMenu(i, "last");
        break;
      case "Home":
      case "End": {
        const j = ev.key === "Home" ? 0 : n - 1;
        this.setTabStop(j);
        this.tops[j].focus();
        break;
      }
      case "Escape":
        this.close(true);
        break;
      default:
        handled = false;
    }
    if (handled) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  }

  private listKey(ev: KeyboardEvent, i: number): void {
    const items = this.items(i);
    const at = items.indexOf(document.activeElement as HTMLElement);
    let handled = true;
    switch (ev.key) {
      case "ArrowDown":
      case "ArrowUp":
        items[nextIndex(at < 0 ? (ev.key === "ArrowDown" ? -1 : 0) : at, items.length, ev.key === "ArrowDown" ? 1 : -1)]?.focus();
        break;
      case "Home":
        items[0]?.focus();
        break;
      case "End":
        items[items.length - 1]?.focus();
        break;
      case "ArrowRight":
      case "ArrowLeft":
        this.openMenu(nextIndex(i, this.tops.length, ev.key === "ArrowRight" ? 1 : -1), "first");
        break;
      case "Enter":
      case " ":
        if (at >= 0) this.activate(items[at]);
        break;
      case "Escape":
        this.close(true);
        break;
      case "Tab":
        this.close(false);
        handled = false;
        break;
      default: {
        // A letter moves to the next item starting with it.
        if (ev.key.length === 1 && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
          const k = ev.key.toLowerCase();
          for (let s = 1; s <= items.length; s++) {
            const it = items[(at + s) % items.length];
            if ((it.querySelector(".nb-menu-label")?.textContent ?? "").toLowerCase().startsWith(k)) {
              it.focus();
              break;
            }
          }
        } else handled = false;
      }
    }
    if (handled) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  }
}

/** ariaKeys turns a shortcut as shown ("Ctrl-Shift-P", "D D") into aria-keyshortcuts' form. */
export function ariaKeys(k: string): string {
  return k
    .split(" ")
    .map((chord) => chord.replace(/-(?=.)/g, "+").replace(/^Cmd\+/, "Meta+").replace(/^Ctrl\+/, "Control+").replace(/^Up$/, "ArrowUp").replace(/^Down$/, "ArrowDown").replace(/\+Up$/, "+ArrowUp").replace(/\+Down$/, "+ArrowDown"))
    .join(" ");
}

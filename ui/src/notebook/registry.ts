// The notebook page's command list: every action a user can take, with its
// label, the menu it sits in and its shortcut. The menu bar, the command
// palette and the keyboard help all read this one list, so a command added
// here is found everywhere.

/** The menus of the notebook page's menu bar, in order. */
export type MenuName = "File" | "Edit" | "View" | "Run" | "Kernel" | "Help";

export const MENUS: readonly MenuName[] = ["File", "Edit", "View", "Run", "Kernel", "Help"];

/** A NotebookCommand is one action of the notebook page. */
export interface NotebookCommand {
  /** id is stable and unique ("kernel:restart", "view:toggle-line-numbers"). */
  id: string;
  /** label is what the menu and the palette show ("Restart kernel…"). */
  label: string;
  /** menu is where the menu bar lists it; a group separates items within a menu. */
  menu: MenuName;
  group?: string;
  /** keys are the shortcuts as shown to the user ("Shift-Enter", "0 0", "Ctrl-S"). */
  keys?: string[];
  /** mode says which mode the shortcut belongs to (none: both). */
  mode?: "command" | "edit";
  /** enabled: whether it can run now (absent: always). */
  enabled?: () => boolean;
  /** checked: for a toggle, whether it is on now. */
  checked?: () => boolean;
  run: () => void;
}

/** CommandRegistry holds the page's commands in the order they were added. */
export class CommandRegistry {
  private byId = new Map<string, NotebookCommand>();

  /** add registers commands; an id added twice is a programming error. */
  add(...cmds: NotebookCommand[]): void {
    for (const c of cmds) {
      if (this.byId.has(c.id)) throw new Error(`command ${c.id} registered twice`);
      this.byId.set(c.id, c);
    }
  }

  get(id: string): NotebookCommand | undefined {
    return this.byId.get(id);
  }

  /** list is every command, in the order added. */
  list(): NotebookCommand[] {
    return [...this.byId.values()];
  }

  /** menu is the commands of one menu, in the order added. */
  menu(name: MenuName): NotebookCommand[] {
    return this.list().filter((c) => c.menu === name);
  }

  /** run runs id when it exists and is enabled; it reports whether it ran. */
  run(id: string): boolean {
    const c = this.byId.get(id);
    if (!c || (c.enabled && !c.enabled())) return false;
    c.run();
    return true;
  }
}

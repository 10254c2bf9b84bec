// Saving the notebook: the dirty state, saves (explicit ones make a
// checkpoint), autosave, and what happens when the file changed on disk
// since it was read (the server answers 412 to the If-Match of the hash
// last read or written).
import { ApiError, contents } from "../api";
import { errText, showDialog } from "../dialog";
import { h } from "../dom";
import { joinPath, splitPath } from "../paths";
import { copyName, type Json } from "./model";

export type SaveState = "saved" | "unsaved" | "saving" | "error";

/** ConflictChoice is the user's answer to a conflict (null: dismissed). */
export type ConflictChoice = "mine" | "theirs" | "copy" | null;

const AUTOSAVE_MS = 120_000;

/** SaveIO is everything a SaveController does outside itself. */
export interface SaveIO {
  /** write PUTs the notebook, with If-Match ifMatch (none: overwrite), and resolves to the new hash. */
  write(ifMatch: string | undefined): Promise<string | undefined>;
  /** checkpoint makes a checkpoint of what was just written. */
  checkpoint(): Promise<void>;
  /** askConflict asks what to do about a file changed on disk. */
  askConflict(): Promise<ConflictChoice>;
  /** reload loads the version on disk, replacing the cells. */
  reload(): Promise<void>;
  /** saveCopy saves the notebook under a new name (and goes there). */
  saveCopy(): Promise<void>;
  notify(text: string, kind?: "error"): void;
  /** show displays the save state; detail is its longer form. */
  show(state: SaveState, detail: string): void;
  /** edited, if given, hears of every change (changed()). */
  edited?(): void;
}

const stateText: Record<SaveState, string> = { saved: "Saved", unsaved: "Unsaved changes", saving: "Saving…", error: "Save failed" };

export class SaveController {
  private hash: string | undefined;
  private dirty = false;
  /** changeGen counts edits, so an edit made while a save is under way keeps the notebook dirty. */
  private changeGen = 0;
  private saving = false;
  private conflictOpen = false;

  constructor(private io: SaveIO) {}

  get isDirty(): boolean {
    return this.dirty;
  }

  /** setHash records the hash of the file as just read. */
  setHash(hash: string | undefined): void {
    this.hash = hash;
  }

  /** setDirty marks the notebook changed (true) or as on disk (false). */
  setDirty(d: boolean): void {
    if (d) this.changeGen++;
    this.dirty = d;
    if (!this.saving) this.setState(d ? "unsaved" : "saved");
  }

  /** changed marks the notebook dirty (every model edit calls it). */
  changed(): void {
    this.setDirty(true);
    this.io.edited?.();
  }

  /** abandon forgets the unsaved changes without showing it (the page is being left). */
  abandon(): void {
    this.dirty = false;
  }

  /** failed shows that a save failed for a reason found elsewhere. */
  failed(detail: string): void {
    this.setState("error", detail);
  }

  private setState(s: SaveState, detail = ""): void {
    this.io.show(s, detail || stateText[s]);
  }

  /** autosave saves when there is something to save and nothing else is under way. */
  autosave(): void {
    if (this.dirty && !this.saving && !this.conflictOpen) void this.save(false);
  }

  async save(explicit: boolean, force = false): Promise<void> {
    if (this.saving) return;
    const ifMatch = force ? undefined : this.hash;
    this.saving = true;
    this.setState("saving");
    const gen = this.changeGen;
    let conflict = false;
    try {
      this.hash = await this.io.write(ifMatch);
      this.saving = false;
      if (this.changeGen === gen) this.setDirty(false);
      else this.setState("unsaved");
      if (explicit) {
        try {
          await this.io.checkpoint();
        } catch (e) {
          this.io.notify("Saved, but the checkpoint failed: " + errText(e), "error");
        }
      }
    } catch (e) {
      this.saving = false;
      if (e instanceof ApiError && e.status === 412) conflict = true;
      else {
        this.setState("error", errText(e));
        this.io.notify("The notebook was not saved: " + errText(e), "error");
      }
    }
    if (conflict) await this.resolveConflict(explicit);
  }

  private async resolveConflict(explicit: boolean): Promise<void> {
    if (this.conflictOpen) return;
    this.conflictOpen = true;
    this.setState("error", "The file changed on disk");
    const choice = await this.io.askConflict();
    this.conflictOpen = false;
    if (choice === "mine") await this.save(explicit, true);
    else if (choice === "theirs") {
      try {
        await this.io.reload();
        this.io.notify("Loaded the version on disk.");
      } catch (e) {
        this.io.notify("Could not load the notebook: " + errText(e), "error");
      }
    } else if (choice === "copy") await this.io.saveCopy();
    else this.setState(this.dirty ? "unsaved" : "error", "Not saved: the file changed on disk");
  }

  /** watchPage asks before leaving with unsaved changes and autosaves every two minutes once ready() holds. */
  watchPage(ready: () => boolean): void {
    window.addEventListener("beforeunload", (ev) => {
      if (this.dirty) {
        ev.preventDefault();
        ev.returnValue = "";
      }
    });
    window.setInterval(() => {
      if (ready()) this.autosave();
    }, AUTOSAVE_MS);
  }
}

/** saveIndicator is the header's save state. */
export function saveIndicator(): { el: HTMLElement; show: (state: SaveState, detail: string) => void } {
  const el = h("span", { class: "nb-savestate", "data-testid": "save-state", "data-state": "saved", role: "status", text: "Saved" });
  return {
    el,
    show(state, detail) {
      el.setAttribute("data-state", state);
      el.textContent = stateText[state];
      el.title = detail;
    },
  };
}

/** conflictDialog asks what to do about the notebook at path changed on disk. */
export async function conflictDialog(path: string): Promise<ConflictChoice> {
  const r = await showDialog<"mine" | "theirs" | "copy">({
    testid: "conflict-dialog",
    title: "The notebook changed on disk",
    body: `${path} was changed by someone or something else since you opened it. Keep your version (overwrite the file), load the version on disk (your unsaved changes are lost), or save yours as a copy?`,
    buttons: [
      { label: "Keep mine", value: "mine", primary: true },
      { label: "Load theirs", value: "theirs", danger: true },
      { label: "Save as copy", value: "copy" },
    ],
  });
  return r.value;
}

/** saveAsCopy writes the notebook next to path under the first free copy
 *  name ("x-copy.ipynb", "x-copy-2.ipynb", …) and returns that path, or
 *  null when it did not (errors are shown, and reported to failed). */
export async function saveAsCopy(path: string, content: Json, notify: SaveIO["notify"], failed: (detail: string) => void): Promise<string | null> {
  const { dir, name } = splitPath(path);
  let target = "";
  for (let n = 1; n < 1000; n++) {
    const p = joinPath(dir, copyName(name, n));
    try {
      await contents.get(p, { content: false });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        target = p;
        break;
      }
      notify("Could not save a copy: " + errText(e), "error");
      return null;
    }
  }
  if (!target) return null;
  try {
    await contents.save(target, { type: "notebook", format: "json", content });
  } catch (e) {
    notify("Could not save a copy: " + errText(e), "error");
    failed(errText(e));
    return null;
  }
  return target;
}

// Trust: a notebook is trusted when every code cell is (metadata.trusted,
// which the server keeps signed). Its HTML and JavaScript outputs run
// (sandboxed) only then. The toolbar button shows the state and trusts.
import { ApiError, contents } from "../api";
import { confirmDialog, errText, notify } from "../dialog";
import type { CellType, Json } from "./model";
import { toolButton } from "./toolbar";

/** TrustCell is what trust reads and sets of a cell. */
export interface TrustCell {
  readonly type: CellType;
  readonly data: { metadata: Json };
  setTrusted(trusted: boolean): void;
}

/** notebookTrusted: every code cell is trusted (markdown and raw cells do not count). */
export function notebookTrusted(cells: readonly Pick<TrustCell, "type" | "data">[]): boolean {
  for (const c of cells) if (c.type === "code" && c.data.metadata.trusted !== true) return false;
  return true;
}

export interface TrustHost {
  /** notebookPath is where the notebook is now (a rename moves it). */
  notebookPath(): string;
  cells(): readonly TrustCell[];
  /** saveIfDirty saves unsaved changes first, so what is trusted is what the user sees. */
  saveIfDirty(): Promise<void>;
}

export class TrustControl {
  readonly button: HTMLButtonElement;

  constructor(private host: TrustHost) {
    this.button = toolButton("trust", "Trust notebook", "Not trusted", () => void this.trust(), { "data-trusted": "false" });
  }

  /** update shows whether the notebook is trusted now. */
  update(): void {
    const t = notebookTrusted(this.host.cells());
    const b = this.button;
    b.setAttribute("data-trusted", String(t));
    b.textContent = t ? "Trusted" : "Not trusted";
    b.setAttribute("aria-label", t ? "Notebook is trusted" : "Trust notebook");
    b.title = t ? "This notebook is trusted: its HTML and JavaScript outputs run (sandboxed)" : "Not trusted: rich outputs are shown in safe form only. Click to trust.";
  }

  async trust(): Promise<void> {
    if (notebookTrusted(this.host.cells())) {
      notify("This notebook is already trusted.");
      return;
    }
    const ok = await confirmDialog(
      "Trust this notebook?",
      "A trusted notebook's stored HTML and JavaScript outputs run (in a sandboxed frame) when it is opened. Trust it only if you know where it came from.",
      "Trust",
    );
    if (!ok) return;
    // The server signs the file on disk and then keeps later saves signed
    // only for outputs it vouches for: save first, so what the user sees
    // (pasted or uploaded outputs included) is what gets trusted.
    await this.host.saveIfDirty();
    try {
      await contents.trust(this.host.notebookPath());
    } catch (e) {
      // An empty 201 body is fine; anything the server refused is not.
      if (e instanceof ApiError) {
        notify("Could not trust the notebook: " + errText(e), "error");
        return;
      }
    }
    for (const c of this.host.cells()) if (c.type === "code") c.setTrusted(true);
    this.update();
    notify("The notebook is trusted.");
  }
}

// The cell clipboard: cells copied or cut, shared by the notebooks of this
// page and, through localStorage, with later pages.
import { randomId, type CellData } from "./model";

const CLIPBOARD_KEY = "quire-notebook-clipboard";
let clipboard: CellData[] = [];

/** restoreClipboard takes up what an earlier page copied, if this page copied nothing yet. */
export function restoreClipboard(): void {
  try {
    const saved = localStorage.getItem(CLIPBOARD_KEY);
    if (saved && clipboard.length === 0) clipboard = JSON.parse(saved) as CellData[];
  } catch {
    /* storage unavailable */
  }
}

/** copyCells puts cells (copies the caller made) on the clipboard. */
export function copyCells(cells: CellData[]): void {
  clipboard = cells;
  try {
    localStorage.setItem(CLIPBOARD_KEY, JSON.stringify(clipboard));
  } catch {
    /* too big or unavailable: the in-page clipboard still works */
  }
}

/** pasteCells is fresh copies of the clipboard's cells, with new ids when
 *  the notebook wants ids (withIds) and none otherwise; [] when it is empty. */
export function pasteCells(withIds: boolean): CellData[] {
  return clipboard.map((d) => {
    const c = JSON.parse(JSON.stringify(d)) as CellData;
    c.id = withIds ? randomId(12) : undefined;
    return c;
  });
}

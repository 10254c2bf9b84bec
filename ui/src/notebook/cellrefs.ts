// Which cell an element is: cells register their element when they make
// it (cell.ts), the list looks them up for events and observers. Kept
// apart so the list does not load the cells' code with it.
import type { Cell } from "./cell";

const cellOfEl = new WeakMap<Element, Cell>();

export function registerCell(el: Element, c: Cell): void {
  cellOfEl.set(el, c);
}

/** cellOfElement is the cell whose element el is. */
export function cellOfElement(el: Element): Cell | undefined {
  return cellOfEl.get(el);
}

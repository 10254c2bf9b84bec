// The heavy half of the notebook view (CodeMirror, output renderers,
// markdown), loaded in parallel with the notebook's contents.
export { Cell } from "./cell";
export { loadLanguage, pythonLanguage } from "./editor";
export { Pager } from "./pager";

// The heavy half of the notebook view (cells, output renderers, markdown),
// loaded in parallel with the notebook's contents. The editor's code
// (CodeMirror) is not in it: cells load it after the first ones show.
export { Cell, loadEditors, editorModule } from "./cell";
export { pythonParser } from "./highlight";
export { Pager } from "./pager";

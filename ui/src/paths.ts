// Paths of the contents API ("" is the root, "/" separates segments) and
// the names in them. Shared by the file browser, the text editor and the
// notebook.

/** joinPath joins an API directory and a name ("" is the root). */
export function joinPath(dir: string, name: string): string {
  return dir ? dir + "/" + name : name;
}

/** splitPath splits path into its directory ("" for the root) and its last segment. */
export function splitPath(path: string): { dir: string; name: string } {
  return { dir: parentDir(path), name: baseName(path) };
}

/** parentDir is the API directory holding path ("" for the root). */
export function parentDir(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** baseName is the last segment of path. */
export function baseName(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? path : path.slice(i + 1);
}

/** stemLength is the length of name without its extension (the part a
 *  rename dialog preselects): "a.ipynb" → 1, ".bashrc" → 7, "a.tar.gz" → 1. */
export function stemLength(name: string, isDir: boolean): number {
  if (isDir) return name.length;
  const i = name.indexOf(".", 1);
  return i < 0 ? name.length : i;
}

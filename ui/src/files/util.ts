// Pure helpers of the file browser: paths, sorting, file kinds.
import type { ContentsModel } from "../api";

/** joinPath joins an API directory and a name ("" is the root). */
export function joinPath(dir: string, name: string): string {
  return dir ? dir + "/" + name : name;
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

export type SortKey = "name" | "modified" | "size";

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/** compareEntries orders folders first, then by key (natural,
 *  case-insensitive names), in dir order (1 ascending, -1 descending). */
export function compareEntries(a: ContentsModel, b: ContentsModel, key: SortKey, dir: 1 | -1): number {
  const da = a.type === "directory" ? 0 : 1;
  const db = b.type === "directory" ? 0 : 1;
  if (da !== db) return da - db;
  let c = 0;
  if (key === "modified") {
    c = (Date.parse(a.last_modified) || 0) - (Date.parse(b.last_modified) || 0);
  } else if (key === "size") {
    c = (a.size ?? 0) - (b.size ?? 0);
  }
  if (c === 0) c = collator.compare(a.name, b.name);
  if (c === 0) c = a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  return c * dir;
}

const BINARY_EXT = new Set(
  (
    "png jpg jpeg gif webp bmp ico tif tiff avif heic svg pdf " +
    "zip gz tgz tar bz2 tbz2 xz txz zst 7z rar whl egg jar war " +
    "mp3 mp4 m4a m4v wav ogg oga ogv webm mov avi mkv flac aac opus " +
    "woff woff2 ttf otf eot exe bin so dll dylib o a lib pyc pyd class " +
    "npy npz pkl pickle joblib h5 hdf5 hdf nc parquet feather arrow orc avro " +
    "sqlite sqlite3 db mdb xlsx xls xlsm docx doc pptx ppt odt ods odp " +
    "iso dmg img deb rpm msi pt pth onnx safetensors ckpt tflite mat sav dta"
  ).split(" "),
);

const TEXTY_APP = /json|javascript|ecmascript|xml|x-sh|shellscript|x-python|sql|yaml|toml|x-tex|x-latex|x-httpd-php|x-perl|x-ruby|x-ipynb|csv|rtf/;

/** isBinary guesses whether a file is one the text editor cannot show
 *  (images, pdf, archives, media…), by extension then by mimetype. */
export function isBinary(name: string, mimetype: string | null | undefined): boolean {
  const dot = name.lastIndexOf(".");
  if (dot > 0 && BINARY_EXT.has(name.slice(dot + 1).toLowerCase())) return true;
  const m = (mimetype || "").toLowerCase();
  if (!m) return false;
  if (/^(image|audio|video|font)\//.test(m)) return true;
  if (m.startsWith("application/")) {
    if (TEXTY_APP.test(m)) return false;
    return /pdf|zip|gzip|tar|compressed|octet-stream|x-7z|x-rar|msword|officedocument|opendocument|ms-excel|ms-powerpoint|x-executable|x-sharedlib|wasm|java-archive|x-bzip|x-xz|zstd|hdf|sqlite/.test(m);
  }
  return false;
}

/** bytesToBase64 encodes bytes without building a string char by char:
 *  String.fromCharCode over 32 KiB slices, then one btoa. */
export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + step) as unknown as number[]));
  }
  return btoa(parts.join(""));
}

/** untrust removes the trust markers a notebook file may carry (every
 *  cell's metadata.trusted, in nbformat 4 cells and nbformat 3 worksheets,
 *  and the old top-level metadata.signature) before it is uploaded: an
 *  uploaded notebook did not come from this user's own execution, so it
 *  must arrive untrusted. (The server signs a save only when it can vouch
 *  for every rich output itself, so this is a second line.) It changes nb
 *  in place and returns it. */
export function untrust(nb: Record<string, unknown>): Record<string, unknown> {
  const obj = (v: unknown): Record<string, unknown> | null =>
    v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  const cellsOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const md = obj(nb.metadata);
  if (md) delete md.signature;
  const cells = [...cellsOf(nb.cells)];
  for (const ws of cellsOf(nb.worksheets)) cells.push(...cellsOf(obj(ws)?.cells));
  for (const c of cells) {
    const cm = obj(obj(c)?.metadata);
    if (cm) delete cm.trusted;
  }
  return nb;
}

/** notebookUploadBody is the PUT body uploading a .ipynb file's text as a
 *  notebook, trust markers removed (untrust), or null when the text is not
 *  a JSON object (it is then uploaded as a plain file). */
export function notebookUploadBody(text: string): { type: "notebook"; format: "json"; content: Record<string, unknown> } | null {
  let nb: unknown;
  try {
    nb = JSON.parse(text);
  } catch {
    return null;
  }
  if (!nb || typeof nb !== "object" || Array.isArray(nb)) return null;
  return { type: "notebook", format: "json", content: untrust(nb as Record<string, unknown>) };
}

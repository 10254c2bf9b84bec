// The file browser's view of directory entries: their order and whether
// the text editor can open them.
import type { ContentsModel } from "../api";

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

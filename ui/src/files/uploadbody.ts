// The bodies an upload PUTs: file bytes as base64, and a notebook's JSON
// with its trust markers removed.

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

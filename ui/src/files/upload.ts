// Uploads into the current folder: one PUT for small files, chunked PUTs
// (chunk 1, 2, …, -1, each its own base64) for large ones, as JupyterLab
// does. One progress row per file, each cancelable.
import { ApiError, encodePath, request } from "../api";
import { confirmDialog, notify } from "../dialog";
import { formatSize, h } from "../dom";
import { joinPath } from "../paths";
import { bytesToBase64, notebookUploadBody } from "./uploadbody";

/** CHUNK is the raw bytes per PUT; files up to this size go in one PUT. */
export const CHUNK = 1024 * 1024;

export interface UploadHost {
  /** dir is the folder uploads go into. */
  dir: string;
  /** exists tells whether the folder already lists name. */
  exists(name: string): boolean;
  /** box holds the progress rows. */
  box: HTMLElement;
  /** changed is called after each finished file (to refresh the list). */
  changed(): void;
}

function put(path: string, body: unknown, signal: AbortSignal): Promise<Response> {
  return request("PUT", "api/contents/" + encodePath(path), body, {}, signal);
}

function isAbort(e: unknown): boolean {
  return (e as Error)?.name === "AbortError";
}

/** uploadFiles asks about overwrites, then uploads the files one by one. */
export async function uploadFiles(files: File[], host: UploadHost): Promise<void> {
  const todo: File[] = [];
  for (const f of files) {
    if (f.name.includes("/") || f.name === "" || f.name === "." || f.name === "..") {
      notify(`Cannot upload "${f.name}": invalid name.`, "error");
      continue;
    }
    if (host.exists(f.name)) {
      const ok = await confirmDialog(
        "Replace file?",
        `"${f.name}" already exists in this folder. Replace it with the uploaded file?`,
        "Replace",
        true,
      );
      if (!ok) continue;
    }
    todo.push(f);
  }
  for (const f of todo) {
    await uploadOne(f, host);
  }
}

async function uploadOne(file: File, host: UploadHost): Promise<void> {
  const path = joinPath(host.dir, file.name);
  const ctl = new AbortController();
  const bar = h("progress", { max: 100, value: 0, "data-testid": "upload-progress", "aria-label": `Uploading ${file.name}` });
  const pct = h("span", { class: "fb-up-pct", text: "0%" });
  const status = h("span", { class: "fb-up-status", text: formatSize(file.size) });
  const cancel = h("button", {
    type: "button",
    class: "q-btn fb-up-cancel",
    text: "Cancel",
    "aria-label": `Cancel upload of ${file.name}`,
  });
  const row = h("div", { class: "fb-up-row" }, h("span", { class: "fb-up-name", text: file.name, title: file.name }), bar, pct, status, cancel);
  cancel.addEventListener("click", () => ctl.abort());
  host.box.appendChild(row);
  const setPct = (p: number) => {
    const v = Math.max(0, Math.min(100, Math.round(p)));
    bar.value = v;
    pct.textContent = v + "%";
  };
  const finish = (ms: number) => {
    cancel.remove();
    setTimeout(() => row.remove(), ms);
  };
  try {
    if (file.size <= CHUNK) {
      let body: unknown = null;
      // A notebook goes up as one, without its trust flags (it was not
      // run here); anything else, or text that is not JSON, as bytes.
      if (/\.ipynb$/i.test(file.name)) body = notebookUploadBody(await file.text());
      if (body === null) {
        const bytes = new Uint8Array(await file.arrayBuffer());
        body = { type: "file", format: "base64", content: bytesToBase64(bytes) };
      }
      if (ctl.signal.aborted) throw new DOMException("aborted", "AbortError");
      await put(path, body, ctl.signal);
    } else {
      const n = Math.ceil(file.size / CHUNK);
      for (let i = 0; i < n; i++) {
        if (ctl.signal.aborted) throw new DOMException("aborted", "AbortError");
        const start = i * CHUNK;
        const bytes = new Uint8Array(await file.slice(start, Math.min(file.size, start + CHUNK)).arrayBuffer());
        const chunk = i === n - 1 ? -1 : i + 1;
        await put(path, { type: "file", format: "base64", chunk, content: bytesToBase64(bytes) }, ctl.signal);
        setPct(((i + 1) / n) * 100);
      }
    }
    setPct(100);
    status.textContent = "Uploaded";
    row.classList.add("done");
    finish(2500);
    host.changed();
  } catch (e) {
    if (isAbort(e)) {
      status.textContent = "Cancelled";
      row.classList.add("cancelled");
      finish(2500);
      return;
    }
    const msg = e instanceof ApiError ? e.message : String((e as Error)?.message || e);
    status.textContent = "Failed: " + msg;
    status.setAttribute("role", "alert");
    row.classList.add("failed");
    cancel.remove();
    const dismiss = h("button", { type: "button", class: "q-btn", text: "Dismiss", "aria-label": `Dismiss failed upload of ${file.name}` });
    dismiss.addEventListener("click", () => row.remove());
    row.appendChild(dismiss);
    notify(`Upload of ${file.name} failed: ${msg}`, "error");
  }
}

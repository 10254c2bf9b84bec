// The one client of Quire's public REST API. Every request carries the
// _xsrf cookie's value in X-XSRFToken; every non-2xx answer becomes an
// ApiError with the server's {"message"}.

export interface ContentsModel {
  name: string;
  path: string;
  type: "directory" | "file" | "notebook";
  writable: boolean;
  created: string;
  last_modified: string;
  size: number | null;
  mimetype: string | null;
  format: "json" | "text" | "base64" | null;
  content: unknown;
  hash?: string;
  hash_algorithm?: string;
}

export interface Checkpoint {
  id: string;
  last_modified: string;
}

export interface KernelModel {
  id: string;
  name: string;
  last_activity: string;
  execution_state: string;
  connections: number;
  /** why the kernel is dead or not responding (Quire) */
  reason?: string;
  /**
   * the kernel stopped answering heartbeats while its process runs; execution_state
   * keeps its last value, no iopub status says so, and requests are still forwarded
   * (queued until it answers). Gone once it answers again (Quire)
   */
  unresponsive?: boolean;
}

export interface SessionModel {
  id: string;
  path: string;
  name: string;
  type: string;
  kernel: KernelModel;
}

/** A terminal of /api/terminals (Jupyter's model). */
export interface TerminalModel {
  name: string;
  last_activity?: string;
}

export interface KernelSpecModel {
  name: string;
  spec: {
    display_name: string;
    language: string;
    argv: string[];
    metadata?: Record<string, unknown>;
    interrupt_mode?: string;
  };
  resources: Record<string, string>;
}

export interface KernelSpecs {
  default: string;
  kernelspecs: Record<string, KernelSpecModel>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly retryAfter: number | null;
  constructor(status: number, message: string, retryAfter: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

let base: string | null = null;

/** baseUrl is the server's --base-url, always ending in "/". */
export function baseUrl(): string {
  if (base === null) {
    const meta = document.querySelector<HTMLMetaElement>('meta[name="quire-base"]');
    let b = meta?.content || "/";
    if (!b.endsWith("/")) b += "/";
    base = b;
  }
  return base;
}

/** encodePath encodes each segment of an API path, keeping the slashes. */
export function encodePath(path: string): string {
  return path
    .split("/")
    .filter((s) => s !== "")
    .map(encodeURIComponent)
    .join("/");
}

/** url joins the base URL and a site path such as "api/contents/a%20b". */
export function url(sitePath: string): string {
  return baseUrl() + sitePath.replace(/^\/+/, "");
}

/** pageUrl is the UI address of a view: "tree", "notebooks", "edit" or
 *  "terminals" (whose path is the terminal's name). */
export function pageUrl(view: "tree" | "notebooks" | "edit" | "terminals", path: string): string {
  const p = encodePath(path);
  return url(p ? `${view}/${p}` : view);
}

/** filesUrl is where /files serves path (downloads, images). */
export function filesUrl(path: string, download = false): string {
  return url("files/" + encodePath(path)) + (download ? "?download=1" : "");
}

/** exportUrl is where {base}nbconvert exports the notebook at path as
 * format ("notebook", "script", "html", "markdown"), as an attachment. */
export function exportUrl(format: string, path: string): string {
  return url(`nbconvert/${encodeURIComponent(format)}/` + encodePath(path)) + "?download=true";
}

export function xsrfToken(): string {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === "_xsrf") return decodeURIComponent(v.join("="));
  }
  return "";
}

/** request sends one API request and returns the response, or throws ApiError. */
export async function request(
  method: string,
  sitePath: string,
  body?: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
  cache: RequestCache = "no-store",
): Promise<Response> {
  const h: Record<string, string> = { "X-XSRFToken": xsrfToken(), ...headers };
  let payload: BodyInit | undefined;
  if (body !== undefined) {
    h["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let resp: Response;
  try {
    resp = await fetch(url(sitePath), {
      method,
      headers: h,
      body: payload,
      credentials: "same-origin",
      cache,
      signal,
    });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, "The server cannot be reached: " + String((e as Error).message || e));
  }
  if (!resp.ok) {
    let message = `${resp.status} ${resp.statusText}`;
    try {
      const j = await resp.json();
      if (j && typeof j.message === "string" && j.message) message = j.message;
    } catch {
      /* not JSON */
    }
    const ra = resp.headers.get("Retry-After");
    throw new ApiError(resp.status, message, ra ? Number(ra) : null);
  }
  return resp;
}

export async function json<T>(
  method: string,
  sitePath: string,
  body?: unknown,
  headers?: Record<string, string>,
  cache?: RequestCache,
): Promise<T> {
  const r = await request(method, sitePath, body, headers, undefined, cache);
  if (r.status === 204) return undefined as T;
  return (await r.json()) as T;
}

// ---- contents -----------------------------------------------------------

/** takePreload: the page lists sitePath as a fetch preload (the server does
 *  so for a notebook's contents, so that the browser asks for them while it
 *  reads the page), not taken yet. Only a request in the default cache mode
 *  is answered by a preload; the server marks API answers no-store, so the
 *  browser's cache keeps nothing either way. */
export function takePreload(sitePath: string): boolean {
  const want = new URL(url(sitePath), location.href).href;
  for (const l of document.querySelectorAll<HTMLLinkElement>('link[rel="preload"][as="fetch"]')) {
    if (l.href === want && !l.dataset.taken) {
      l.dataset.taken = "1";
      return true;
    }
  }
  return false;
}

const C = (path: string) => "api/contents/" + encodePath(path);

/** bg marks a request the UI makes on its own (a periodic refresh), not
 *  for the user: JupyterHub's activity reports leave it out
 *  (jupyter_server's no_track_activity), so an open tab does not keep an
 *  idle server from being culled. */
function bg(background: boolean): string {
  return background ? "?no_track_activity=1" : "";
}

export const contents = {
  /** get reads a model; hash: true adds the sha256 of the file's bytes (for If-Match). */
  get(
    path: string,
    opts: { content?: boolean; type?: string; format?: string; hash?: boolean; background?: boolean } = {},
  ): Promise<ContentsModel> {
    const q = new URLSearchParams();
    if (opts.background) q.set("no_track_activity", "1");
    if (opts.content === false) q.set("content", "0");
    if (opts.hash) q.set("hash", "1");
    if (opts.type) q.set("type", opts.type);
    if (opts.format) q.set("format", opts.format);
    const qs = q.toString();
    const site = C(path) + (qs ? "?" + qs : "");
    return json<ContentsModel>("GET", site, undefined, undefined, takePreload(site) ? "default" : undefined);
  },
  /** save PUTs a model. ifMatch (the hash last read) makes a file changed
   *  on disk since then answer 412 (ApiError.status). The returned model's
   *  hash is the sha256 of the bytes now on disk (Quire's ETag), ready for
   *  the next save's ifMatch; it is absent for chunks other than the last. */
  async save(path: string, model: Partial<ContentsModel> & { chunk?: number }, ifMatch?: string): Promise<ContentsModel> {
    const headers: Record<string, string> = {};
    if (ifMatch) headers["If-Match"] = `"${ifMatch}"`;
    const r = await request("PUT", C(path) + "?hash=1", model, headers);
    const m = (await r.json()) as ContentsModel;
    const etag = r.headers.get("ETag");
    if (etag) m.hash = etag.replace(/^W\//, "").replace(/"/g, "");
    return m;
  },
  /** create makes an untitled file, notebook or directory inside dir. */
  create(dir: string, type: "notebook" | "file" | "directory", ext?: string): Promise<ContentsModel> {
    const body: Record<string, string> = { type };
    if (ext) body.ext = ext;
    return json<ContentsModel>("POST", C(dir), body);
  },
  copy(from: string, toDir: string): Promise<ContentsModel> {
    return json<ContentsModel>("POST", C(toDir), { copy_from: from });
  },
  rename(path: string, newPath: string): Promise<ContentsModel> {
    return json<ContentsModel>("PATCH", C(path), { path: newPath });
  },
  remove(path: string): Promise<void> {
    return json<void>("DELETE", C(path));
  },
  trust(path: string): Promise<void> {
    return json<void>("POST", C(path) + "/trust");
  },
  listCheckpoints(path: string): Promise<Checkpoint[]> {
    return json<Checkpoint[]>("GET", C(path) + "/checkpoints");
  },
  createCheckpoint(path: string): Promise<Checkpoint> {
    return json<Checkpoint>("POST", C(path) + "/checkpoints");
  },
  restoreCheckpoint(path: string, id: string): Promise<void> {
    return json<void>("POST", C(path) + "/checkpoints/" + encodeURIComponent(id));
  },
};

// ---- kernels, sessions, kernelspecs ------------------------------------------

export const kernels = {
  list: (background = false) => json<KernelModel[]>("GET", "api/kernels" + bg(background)),
  get: (id: string) => json<KernelModel>("GET", "api/kernels/" + encodeURIComponent(id)),
  start: (name?: string) => json<KernelModel>("POST", "api/kernels", name ? { name } : {}),
  shutdown: (id: string) => json<void>("DELETE", "api/kernels/" + encodeURIComponent(id)),
  interrupt: (id: string) => json<void>("POST", `api/kernels/${encodeURIComponent(id)}/interrupt`),
  restart: (id: string) => json<KernelModel>("POST", `api/kernels/${encodeURIComponent(id)}/restart`),
  /** channelsUrl is the kernel WebSocket's ws(s):// address. */
  channelsUrl(id: string, sessionId: string): string {
    const u = new URL(url(`api/kernels/${encodeURIComponent(id)}/channels`), location.href);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    u.searchParams.set("session_id", sessionId);
    return u.toString();
  },
};

export const sessions = {
  list: (background = false) => json<SessionModel[]>("GET", "api/sessions" + bg(background)),
  create: (path: string, kernelName: string | undefined, name = "") =>
    json<SessionModel>("POST", "api/sessions", {
      path,
      name: name || path.split("/").pop() || path,
      type: "notebook",
      kernel: kernelName ? { name: kernelName } : {},
    }),
  /** rename moves a session to a new path (after a notebook rename). */
  setPath: (id: string, path: string) =>
    json<SessionModel>("PATCH", "api/sessions/" + encodeURIComponent(id), { path, name: path.split("/").pop() }),
  changeKernel: (id: string, kernelName: string) =>
    json<SessionModel>("PATCH", "api/sessions/" + encodeURIComponent(id), { kernel: { name: kernelName } }),
  remove: (id: string) => json<void>("DELETE", "api/sessions/" + encodeURIComponent(id)),
};

// ---- terminals ------------------------------------------------------------

const TERM = (name: string) => "api/terminals/" + encodeURIComponent(name);

export const terminals = {
  list: (background = false) => json<TerminalModel[]>("GET", "api/terminals" + bg(background)),
  get: (name: string) => json<TerminalModel>("GET", TERM(name)),
  /** start opens a new shell; cwd is a folder of the contents root ("" for the root). */
  start: (cwd?: string) => json<TerminalModel>("POST", "api/terminals", cwd ? { cwd } : {}),
  shutdown: (name: string) => json<void>("DELETE", TERM(name)),
  /** websocketUrl is the ws(s):// address of the terminal's terminado socket. */
  websocketUrl(name: string): string {
    const u = new URL(url("terminals/websocket/" + encodeURIComponent(name)), location.href);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    return u.toString();
  },
};

export const kernelspecs = {
  list: () => json<KernelSpecs>("GET", "api/kernelspecs"),
};

/** logout ends the server-side session and shows the logged-out page. */
export function logout(): void {
  location.assign(url("logout"));
}

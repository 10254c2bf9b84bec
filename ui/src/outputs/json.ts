// application/json as a collapsible tree (details/summary). Children are
// built when a node is first opened, and at most MAX_CHILDREN per node, so
// a huge object costs nothing until it is explored.

const MAX_CHILDREN = 500;
const MAX_STRING = 5000;

export function renderJson(value: unknown): HTMLElement {
  const root = document.createElement("div");
  root.className = "q-json";
  root.append(node(value, null, 0));
  return root;
}

function node(value: unknown, key: string | null, depth: number): HTMLElement {
  if (value !== null && typeof value === "object") {
    const isArr = Array.isArray(value);
    const entries: [string, unknown][] = isArr
      ? (value as unknown[]).map((v, i) => [String(i), v])
      : Object.entries(value as Record<string, unknown>);
    const d = document.createElement("details");
    const s = document.createElement("summary");
    if (key !== null) s.append(keySpan(key));
    const info = document.createElement("span");
    info.className = "q-json-info";
    info.textContent = isArr
      ? `[…] ${entries.length} item${entries.length === 1 ? "" : "s"}`
      : `{…} ${entries.length} key${entries.length === 1 ? "" : "s"}`;
    s.append(info);
    d.append(s);
    let built = false;
    const build = () => {
      if (built) return;
      built = true;
      const list = document.createElement("div");
      list.className = "q-json-children";
      for (const [k, v] of entries.slice(0, MAX_CHILDREN)) list.append(node(v, k, depth + 1));
      if (entries.length > MAX_CHILDREN) {
        const more = document.createElement("div");
        more.className = "q-json-more";
        more.textContent = `… ${entries.length - MAX_CHILDREN} more not shown`;
        list.append(more);
      }
      d.append(list);
    };
    d.addEventListener("toggle", () => {
      if (d.open) build();
    });
    if (depth === 0) {
      d.open = true;
      build();
    }
    return d;
  }
  const row = document.createElement("div");
  row.className = "q-json-leaf";
  if (key !== null) row.append(keySpan(key));
  const v = document.createElement("span");
  const t = value === null ? "null" : typeof value;
  v.className = "q-json-" + t;
  let text = value === undefined ? "undefined" : JSON.stringify(value) ?? String(value);
  if (text.length > MAX_STRING) text = text.slice(0, MAX_STRING) + `… (${text.length - MAX_STRING} more characters)`;
  v.textContent = text;
  row.append(v);
  return row;
}

function keySpan(key: string): HTMLElement {
  const k = document.createElement("span");
  k.className = "q-json-key";
  k.textContent = key + ": ";
  return k;
}

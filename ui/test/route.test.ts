import { test } from "node:test";
import assert from "node:assert/strict";
import { route, splitAddress } from "../src/route";

test("route picks the view and decodes the path", () => {
  const cases: [string, string, ReturnType<typeof route>][] = [
    ["/", "/", { view: "tree", path: "" }],
    ["/tree", "/", { view: "tree", path: "" }],
    ["/tree/a%20b/c", "/", { view: "tree", path: "a b/c" }],
    ["/x/notebooks/d/n.ipynb", "/x/", { view: "notebooks", path: "d/n.ipynb" }],
    ["/x/edit//a.py", "/x/", { view: "edit", path: "a.py" }],
    ["/x/edit/bad%zz", "/x/", { view: "edit", path: "bad%zz" }],
    ["/x/terminals/1", "/x/", { view: "terminals", path: "1" }],
    ["/terminals/a%20b", "/", { view: "terminals", path: "a b" }],
    ["/x/treex/a", "/x/", { view: "tree", path: "" }],
    ["/elsewhere/tree/a", "/x/", { view: "tree", path: "" }],
    // the base as JupyterHub escapes a user name, and the address in other spellings
    ["/user/zo%C3%AB%2Btest@ex.org/notebooks/a%20b.ipynb", "/user/zo%C3%AB%2Btest@ex.org/", { view: "notebooks", path: "a b.ipynb" }],
    ["/user/zo%C3%AB+test@ex.org/notebooks/n.ipynb", "/user/zo%C3%AB%2Btest@ex.org/", { view: "notebooks", path: "n.ipynb" }],
    ["/user/zo%c3%ab%2btest@ex.org/tree/d", "/user/zo%C3%AB%2Btest@ex.org/", { view: "tree", path: "d" }],
    ["/user/zo%C3%AB+test@ex.org", "/user/zo%C3%AB%2Btest@ex.org/", { view: "tree", path: "" }],
    ["/user/other/notebooks/n.ipynb", "/user/zo%C3%AB%2Btest@ex.org/", { view: "tree", path: "" }],
    ["/user/zo%C3%AB%2Ftest@ex.org/notebooks/n.ipynb", "/user/zo%C3%AB%2Btest@ex.org/", { view: "tree", path: "" }],
  ];
  for (const [pathname, base, want] of cases) assert.deepEqual(route(pathname, base), want, pathname);
});

test("splitAddress keeps the first segment for the file browser's own check", () => {
  assert.deepEqual(splitAddress("/tree/a/b", "/"), { head: "tree", path: "a/b" });
  assert.deepEqual(splitAddress("/", "/"), { head: "", path: "" });
  assert.deepEqual(splitAddress("/notebooks/n.ipynb", "/"), { head: "notebooks", path: "n.ipynb" });
});

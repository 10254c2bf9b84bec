// The UI's addresses: {base}tree/<dir>, {base}notebooks/<path>,
// {base}edit/<path> and {base}terminals/<name>, each segment URL-encoded.

export type View = "tree" | "notebooks" | "edit" | "terminals";

/** splitAddress splits a pathname under base into its first segment and
 *  the decoded contents path after it. */
export function splitAddress(pathname: string, base: string): { head: string; path: string } {
  let rest = pathname.startsWith(base) ? pathname.slice(base.length) : afterBase(pathname, base);
  rest = rest.replace(/^\/+/, "");
  const slash = rest.indexOf("/");
  const head = slash < 0 ? rest : rest.slice(0, slash);
  const tail = slash < 0 ? "" : rest.slice(slash + 1);
  const path = tail
    .split("/")
    .filter((s) => s !== "")
    .map(decodeSegment)
    .join("/");
  return { head, path };
}

/** decodeSegment is a path segment percent-decoded (as it is, if malformed). */
function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** afterBase is what follows base in pathname when the two spell the base
 *  differently ("/user/zoë+x/" typed, "/user/zo%C3%AB%2Bx/" as the server
 *  writes it): segment by segment, decoded, as the server matches it; ""
 *  when pathname is not under base. */
function afterBase(pathname: string, base: string): string {
  const want = base.split("/").filter((x) => x !== "");
  const have = pathname.split("/");
  let i = 1; // have[0] is the "" before the leading "/"
  for (const w of want) {
    if (i >= have.length || decodeSegment(have[i]) !== decodeSegment(w)) return "";
    i++;
  }
  return have.slice(i).join("/");
}

/** route picks the view for a pathname; anything unknown is the root folder. */
export function route(pathname: string, base: string): { view: View; path: string } {
  const { head, path } = splitAddress(pathname, base);
  if (head === "notebooks" || head === "edit" || head === "terminals") return { view: head, path };
  return { view: "tree", path: head === "tree" ? path : "" };
}

// The nbformat output an iopub message makes, for the cells (runner.ts)
// and the Output widget (widgets/manager.ts) alike.
import type { KernelMessage } from "../notebook/kernel";
import type { MimeBundle, Output } from "./index";

/** outputOf is the output a stream, display_data, execute_result or error
 *  message makes (a display_id kept as transient, as the page needs it for
 *  update_display_data), or null for any other message. */
export function outputOf(msg: KernelMessage): Output | null {
  const c = msg.content;
  const type = msg.header.msg_type;
  switch (type) {
    case "stream":
      return { output_type: "stream", name: c.name === "stderr" ? "stderr" : "stdout", text: String(c.text ?? "") };
    case "display_data":
    case "execute_result": {
      const transient = c.transient as { display_id?: string } | undefined;
      const base = {
        data: (c.data ?? {}) as MimeBundle,
        metadata: (c.metadata ?? {}) as Record<string, unknown>,
        ...(transient?.display_id ? { transient: { display_id: transient.display_id } } : {}),
      };
      return type === "execute_result"
        ? { output_type: "execute_result", execution_count: typeof c.execution_count === "number" ? c.execution_count : null, ...base }
        : { output_type: "display_data", ...base };
    }
    case "error":
      return {
        output_type: "error",
        ename: String(c.ename ?? ""),
        evalue: String(c.evalue ?? ""),
        traceback: Array.isArray(c.traceback) ? c.traceback.map(String) : [],
      };
  }
  return null;
}

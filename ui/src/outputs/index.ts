// Output rendering for notebook cells. THE INTERFACE BELOW IS THE
// CONTRACT between the notebook editor and the renderers; the bodies are
// placeholders being replaced.

/** One nbformat v4 output, as stored in a notebook or built from an iopub message. */
export type Output =
  | { output_type: "stream"; name: "stdout" | "stderr"; text: string | string[] }
  | { output_type: "display_data"; data: MimeBundle; metadata?: Record<string, unknown>; transient?: { display_id?: string } }
  | { output_type: "execute_result"; data: MimeBundle; metadata?: Record<string, unknown>; execution_count: number | null; transient?: { display_id?: string } }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

export type MimeBundle = Record<string, string | string[] | unknown>;

export interface OutputOptions {
  /** trusted: the notebook's signature checked out (or the user trusted
   *  it), or the output was produced in this session. Only then may HTML
   *  and JavaScript run, and then only inside the sandboxed frame. */
  trusted: boolean;
  /** notebookPath resolves relative links and images in markdown. */
  notebookPath: string;
}

export class OutputArea {
  readonly element: HTMLElement;
  private outputs: Output[] = [];
  constructor(opts: OutputOptions) {
    void opts;
    this.element = document.createElement("div");
    this.element.className = "q-outputs";
  }
  /** setTrusted re-renders with the new trust. */
  setTrusted(trusted: boolean): void {
    void trusted;
  }
  /** setOutputs replaces every output (a notebook load). */
  setOutputs(outputs: Output[]): void {
    this.outputs = outputs.slice();
  }
  /** add appends one output; consecutive streams of one name merge, with \r and \b applied. */
  add(output: Output): void {
    this.outputs.push(output);
  }
  /** clear is clear_output; wait defers the clearing until the next add. */
  clear(wait = false): void {
    void wait;
    this.outputs = [];
  }
  /** updateDisplay replaces the data of outputs whose transient display_id is id; false if none. */
  updateDisplay(id: string, data: MimeBundle, metadata: Record<string, unknown>): boolean {
    void id;
    void data;
    void metadata;
    return false;
  }
  /** displayIds lists the display_ids shown in this area. */
  displayIds(): string[] {
    return [];
  }
  /** toJSON is the outputs as nbformat stores them: streams joined, transient dropped. */
  toJSON(): Output[] {
    return this.outputs;
  }
  get length(): number {
    return this.outputs.length;
  }
}

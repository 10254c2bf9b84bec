// Markdown rendering (marked + KaTeX + DOMPurify). CONTRACT; body is a placeholder being replaced.

export interface MarkdownOptions {
  /** notebookPath resolves relative links and images to {base}files/…. */
  notebookPath: string;
  /** attachments are a markdown cell's nbformat attachments ("attachment:name" images). */
  attachments?: Record<string, Record<string, string>>;
}

/** renderMarkdown renders untrusted markdown (with $…$ and $$…$$ math) into el, sanitised. */
export function renderMarkdown(source: string, el: HTMLElement, opts: MarkdownOptions): void {
  void opts;
  el.classList.add("q-markdown");
  el.textContent = source;
}

/** The documents feature's text, in one place (ready for translation, like lib/messages.ts). */
export const docMsg = {
  attach: "Attach document",
  attachHint: "PDF, Word (DOCX), Markdown, text or code",
  uploading: "Uploading…",
  listLabel: "Documents in this conversation",
  status: {
    indexing: "indexing…",
    ready: "ready",
    failed: "failed",
  } as Record<string, string>,
  remove: (name: string) => `Remove ${name}`,
  pages: (n: number) => (n === 1 ? "1 page" : `${n} pages`),
  citeLabel: (n: number, where: string) => `Source ${n}: ${where}`,
  sourceTitle: (n: number) => `Source [${n}]`,
  page: (n: number) => `page ${n}`,
  close: "Close",
  loading: "Loading the passage…",
  deleted: "This passage is gone: its document was deleted.",
  noSource: (n: number) => `This answer has no source [${n}].`,
};

/** "keeper.pdf, page 2" / "notes.md". */
export function whereOf(source: { file_name: string; page: number | null }): string {
  return source.page ? `${source.file_name}, ${docMsg.page(source.page)}` : source.file_name;
}

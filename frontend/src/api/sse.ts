/**
 * A Server-Sent Events parser for streams read with fetch (EventSource cannot POST or send the
 * CSRF header). Follows the WHATWG rules that matter here: lines end in LF, CRLF or CR; `event:`
 * names the event, `data:` lines are joined with LF, a blank line dispatches, `:` starts a
 * comment, one leading space after the colon is dropped. Chunks may split anything anywhere.
 */

export interface SSEEvent {
  event: string;
  data: string;
  id: string | null;
}

export class SSEParser {
  private buffer = "";
  private event = "";
  private data: string[] = [];
  private id: string | null = null;
  private lastId: string | null = null;
  private pendingCR = false;

  /** Feed decoded text; returns the events completed by it. */
  feed(chunk: string): SSEEvent[] {
    let text = chunk;
    if (this.pendingCR && text.length > 0) {
      // A CR ended the previous chunk: a LF starting this one belongs to the same line break.
      if (text.startsWith("\n")) text = text.slice(1);
      this.pendingCR = false;
    }
    this.buffer += text;
    const out: SSEEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer[i];
      if (ch !== "\n" && ch !== "\r") continue;
      const line = this.buffer.slice(start, i);
      if (ch === "\r") {
        if (i + 1 < this.buffer.length) {
          if (this.buffer[i + 1] === "\n") i++;
        } else {
          this.pendingCR = true;
        }
      }
      start = i + 1;
      const event = this.line(line);
      if (event) out.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  /** The stream ended: an unterminated event is discarded, as the spec says. */
  end(): SSEEvent[] {
    this.buffer = "";
    this.event = "";
    this.data = [];
    return [];
  }

  private line(line: string): SSEEvent | null {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.event = value;
        break;
      case "data":
        this.data.push(value);
        break;
      case "id":
        if (!value.includes("\0")) this.id = value;
        break;
      default: // `retry` and unknown fields: nothing to do for a fetch-based reader
        break;
    }
    return null;
  }

  private dispatch(): SSEEvent | null {
    if (this.id !== null) this.lastId = this.id;
    this.id = null;
    if (this.data.length === 0) {
      this.event = "";
      return null;
    }
    const event: SSEEvent = { event: this.event || "message", data: this.data.join("\n"), id: this.lastId };
    this.event = "";
    this.data = [];
    return event;
  }
}

/** Read a byte stream to its end, calling `onEvent` for each event (UTF-8 split across chunks is fine). */
export async function readSSE(
  stream: ReadableStream<Uint8Array>,
  onEvent: (event: SSEEvent) => void,
): Promise<void> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const parser = new SSEParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const event of parser.feed(decoder.decode(value, { stream: true }))) onEvent(event);
    }
    for (const event of parser.feed(decoder.decode())) onEvent(event);
    parser.end();
  } finally {
    reader.releaseLock();
  }
}

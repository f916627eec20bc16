import { describe, expect, it } from "vitest";
import { readSSE, SSEParser, type SSEEvent } from "./sse";

const names = (events: SSEEvent[]) => events.map((e) => `${e.event}:${e.data}`);

function streamOf(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(typeof c === "string" ? encoder.encode(c) : c);
      controller.close();
    },
  });
}

describe("SSEParser", () => {
  it("parses several events arriving in one chunk", () => {
    const p = new SSEParser();
    const out = p.feed('event: delta\ndata: {"text":"a"}\n\nevent: delta\ndata: {"text":"b"}\n\n');
    expect(names(out)).toEqual(['delta:{"text":"a"}', 'delta:{"text":"b"}']);
  });

  it("joins an event split in the middle of a line", () => {
    const p = new SSEParser();
    expect(p.feed("event: del")).toEqual([]);
    expect(p.feed('ta\ndata: {"te')).toEqual([]);
    expect(p.feed('xt":"hi"}\n')).toEqual([]);
    expect(names(p.feed("\n"))).toEqual(['delta:{"text":"hi"}']);
  });

  it("survives every possible split point of a stream", () => {
    const stream = 'event: message\ndata: {"a":1}\n\nevent: delta\ndata: {"text":"x y"}\n\n: keep-alive\n\nevent: done\ndata: {}\n\n';
    const expected = ['message:{"a":1}', 'delta:{"text":"x y"}', "done:{}"];
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j += 7) {
        const p = new SSEParser();
        const got = [...p.feed(stream.slice(0, i)), ...p.feed(stream.slice(i, j)), ...p.feed(stream.slice(j))];
        expect(names(got)).toEqual(expected);
      }
    }
  });

  it("accepts CRLF and CR line endings, including a CRLF split across chunks", () => {
    const p = new SSEParser();
    const out = [...p.feed("event: a\r\ndata: 1\r"), ...p.feed("\n\r\n"), ...p.feed("event: b\rdata: 2\r\r")];
    expect(names(out)).toEqual(["a:1", "b:2"]);
  });

  it("joins multi-line data with newlines and strips one leading space only", () => {
    const p = new SSEParser();
    expect(names(p.feed("data:  two spaces\ndata:none\n\n"))).toEqual(["message: two spaces\nnone"]);
  });

  it("ignores comments, retry, unknown fields and events without data", () => {
    const p = new SSEParser();
    expect(p.feed(": comment\nretry: 100\nfoo: bar\nevent: ping\n\n")).toEqual([]);
    expect(names(p.feed("event: delta\ndata: ok\n\n"))).toEqual(["delta:ok"]);
  });

  it("resets the event name after each dispatch", () => {
    const p = new SSEParser();
    expect(names(p.feed("event: delta\ndata: 1\n\ndata: 2\n\n"))).toEqual(["delta:1", "message:2"]);
  });

  it("drops an unterminated event at the end of the stream", () => {
    const p = new SSEParser();
    expect(p.feed("event: delta\ndata: partial")).toEqual([]);
    expect(p.end()).toEqual([]);
  });
});

describe("readSSE", () => {
  it("decodes UTF-8 characters split across network chunks", async () => {
    const bytes = new TextEncoder().encode('event: delta\ndata: {"text":"héllo ✓"}\n\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside "é"
    const events: SSEEvent[] = [];
    await readSSE(streamOf([bytes.slice(0, cut), bytes.slice(cut, cut + 20), bytes.slice(cut + 20)]), (e) => events.push(e));
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.data)).toEqual({ text: "héllo ✓" });
  });

  it("delivers events in order as chunks arrive", async () => {
    const events: string[] = [];
    await readSSE(streamOf(["event: a\ndata: 1\n", "\nevent: b\nda", "ta: 2\n\nevent: c\ndata: 3\n\n"]), (e) => events.push(e.event));
    expect(events).toEqual(["a", "b", "c"]);
  });
});

import type { Citation } from "@/api/types";
import { docMsg, whereOf } from "@/lib/documentMessages";
import type { Citations } from "../Markdown";

/** Per answer, what its `[n]` buttons need: the numbers it was given, their labels, the opener. */
export function citationsByMessage(byMessage: ReadonlyMap<string, Citation[]>, open: (c: Citation) => void): Map<string, Citations> {
  const out = new Map<string, Citations>();
  for (const [messageId, list] of byMessage) {
    const byNumber = new Map(list.map((c) => [c.position, c]));
    out.set(messageId, {
      known: new Set(byNumber.keys()),
      label: (n) => {
        const c = byNumber.get(n);
        return c ? docMsg.citeLabel(n, whereOf(c)) : docMsg.noSource(n);
      },
      onOpen: (n) => {
        const c = byNumber.get(n);
        if (c) open(c);
      },
    });
  }
  return out;
}

/**
 * Input limits the server enforces, checked before sending so a person sees a counter and a
 * sentence instead of a refused request. Keep in step with the backend's schemas
 * (chat/schemas.py `SendMessageIn.content`: max_length=100_000).
 */
export const MESSAGE_MAX_CHARS = 100_000;

/** From this share of the limit on, the composer shows a counter. */
const NEAR_SHARE = 0.9;

/** Characters as the server counts them (Unicode code points, like Python's `len`). */
export function charCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

export interface LengthState {
  count: number;
  max: number;
  near: boolean;
  over: boolean;
}

/** How long `text` is against `max`, as sent (trimmed, like the composer does). */
export function lengthState(text: string, max: number = MESSAGE_MAX_CHARS): LengthState {
  const count = charCount(text.trim());
  return { count, max, near: count >= Math.floor(max * NEAR_SHARE), over: count > max };
}

/** The counter's sentence: "95,000 / 100,000 characters", or how much to cut. */
export function lengthMessage(state: LengthState): string {
  const f = (n: number) => new Intl.NumberFormat("en-US").format(n);
  if (state.over) {
    return `${f(state.count - state.max)} characters over the limit of ${f(state.max)}. Shorten your message to send it.`;
  }
  return `${f(state.count)} / ${f(state.max)} characters`;
}

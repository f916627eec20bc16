import { describe, expect, it } from "vitest";
import type { CatalogModel, ProviderCheck } from "@/api/types";
import { capabilities, checkText, priceText } from "./catalog";

const model = (over: Partial<CatalogModel> = {}): CatalogModel => ({
  name: "mini",
  label: "mini",
  kind: "chat",
  provider: "openai",
  provider_type: "openai",
  upstream: "gpt-4o-mini",
  context_window: 128000,
  max_output_tokens: 4096,
  price: { input_per_mtok: "0.15", output_per_mtok: "0.60", per_image: "0" },
  price_source: "builtin",
  streaming: true,
  vision: false,
  image_sizes: [],
  fallbacks: [],
  own_breaker: false,
  default: false,
  ...over,
});

describe("priceText", () => {
  it("gives a chat model's input and output price per million tokens", () => {
    expect(priceText(model())).toBe("$0.15 in · $0.60 out per 1M tokens");
  });
  it("gives an image model's price per image", () => {
    expect(priceText(model({ kind: "image", price: { input_per_mtok: "0", output_per_mtok: "0", per_image: "0.08000000" } }))).toBe("$0.08 per image");
  });
  it("gives an embedding model's input price", () => {
    expect(priceText(model({ kind: "embedding", price: { input_per_mtok: "0.02", output_per_mtok: "0", per_image: "0" } }))).toBe("$0.02 per 1M tokens");
  });
  it("says free for a model that costs nothing", () => {
    expect(priceText(model({ price: { input_per_mtok: "0E-8", output_per_mtok: "0", per_image: "0" } }))).toBe("free");
  });
});

describe("capabilities", () => {
  it("lists streaming and vision for a chat model that sees images", () => {
    expect(capabilities(model({ vision: true }))).toEqual(["Chat", "Streaming", "Vision"]);
  });
  it("lists the sizes of an image model", () => {
    expect(capabilities(model({ kind: "image", streaming: false, image_sizes: ["512x512", "1024x1024"] }))).toEqual(["Images (512x512, 1024x1024)"]);
  });
});

describe("checkText", () => {
  const check = (over: Partial<ProviderCheck>): ProviderCheck => ({
    provider: "openai",
    provider_type: "openai",
    ok: true,
    latency_ms: 1234,
    checked: "GET /models",
    code: null,
    message: null,
    at: "2026-12-07T00:00:00Z",
    ...over,
  });
  it("reports the latency of a healthy provider", () => {
    expect(checkText(check({}))).toBe("Answered in 1,234 ms (GET /models).");
  });
  it("reports the public message of a failure", () => {
    expect(checkText(check({ ok: false, code: "provider_timeout", message: "The model provider took too long to answer." }))).toBe(
      "Failed after 1,234 ms: The model provider took too long to answer.",
    );
  });
});

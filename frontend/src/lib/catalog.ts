/**
 * The model catalogue as people read it: a price in words for the model's kind, where that price
 * comes from, and what the model can do. Pure functions (tested in catalog.test.ts).
 */
import type { CatalogModel, ProviderCheck } from "@/api/types";
import { formatCost } from "./format";

/** "$0.15 in · $0.60 out per 1M tokens", "$0.08 per image", "free". */
export function priceText(model: Pick<CatalogModel, "kind" | "price">): string {
  const { input_per_mtok: input, output_per_mtok: output, per_image: image } = model.price;
  if (model.kind === "image") return Number(image) === 0 ? "free" : `${formatCost(image)} per image`;
  if (model.kind === "embedding") return Number(input) === 0 ? "free" : `${formatCost(input)} per 1M tokens`;
  if (Number(input) === 0 && Number(output) === 0) return "free";
  return `${formatCost(input)} in · ${formatCost(output)} out per 1M tokens`;
}

export const SOURCE_LABELS: Record<CatalogModel["price_source"], string> = {
  config: "lockgate.yaml",
  builtin: "Built-in list price",
  unknown: "Unknown: counted as free",
};

/** What the model can do, as short labels ("Streaming", "Vision", "Images 1024x1024"). */
export function capabilities(model: CatalogModel): string[] {
  const found: string[] = [];
  if (model.kind === "chat") found.push("Chat");
  if (model.kind === "embedding") found.push("Embeddings");
  if (model.kind === "image") found.push(`Images (${model.image_sizes.join(", ")})`);
  if (model.streaming) found.push("Streaming");
  if (model.vision) found.push("Vision");
  if (model.own_breaker) found.push("Own breaker");
  return found;
}

/** "Answered in 120 ms" / "Failed after 10,000 ms: The model provider took too long to answer." */
export function checkText(check: ProviderCheck): string {
  const ms = `${check.latency_ms.toLocaleString("en")} ms`;
  if (check.ok) return `Answered in ${ms} (${check.checked}).`;
  return `Failed after ${ms}: ${check.message ?? "the provider did not answer."}`;
}

import type { Metadata } from "next";
import { PromptsApp } from "@/components/PromptsApp";

export const metadata: Metadata = { title: "Prompts" };

export default function PromptsPage() {
  return <PromptsApp />;
}

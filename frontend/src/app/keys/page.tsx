import type { Metadata } from "next";
import { KeysApp } from "@/components/keys/KeysApp";

export const metadata: Metadata = { title: "API keys" };

export default function KeysPage() {
  return <KeysApp />;
}

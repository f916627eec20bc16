import type { Metadata } from "next";
import { UsageApp } from "@/components/UsageApp";

export const metadata: Metadata = { title: "Usage" };

export default function UsagePage() {
  return <UsageApp />;
}

import type { Metadata } from "next";
import { TeamsApp } from "@/components/TeamsApp";

export const metadata: Metadata = { title: "Teams" };

export default function TeamsPage() {
  return <TeamsApp />;
}

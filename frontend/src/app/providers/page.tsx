import type { Metadata } from "next";
import { ProvidersApp } from "@/components/ProvidersApp";

export const metadata: Metadata = { title: "Providers" };

export default function ProvidersPage() {
  return <ProvidersApp />;
}

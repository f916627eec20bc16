import type { Metadata } from "next";
import { AdminSpendApp } from "@/components/admin/AdminSpendApp";

export const metadata: Metadata = { title: "Admin: spend" };

export default function AdminSpendPage() {
  return <AdminSpendApp />;
}

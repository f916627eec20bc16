import type { Metadata } from "next";
import { AdminAuditApp } from "@/components/admin/AdminAuditApp";

export const metadata: Metadata = { title: "Admin: audit log" };

export default function AdminAuditPage() {
  return <AdminAuditApp />;
}

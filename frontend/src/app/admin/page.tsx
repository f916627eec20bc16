import type { Metadata } from "next";
import { AdminUsersApp } from "@/components/admin/AdminUsersApp";

export const metadata: Metadata = { title: "Admin: users" };

export default function AdminUsersPage() {
  return <AdminUsersApp />;
}

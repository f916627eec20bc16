"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { useMe } from "@/hooks/useMe";
import { AppShell, PageTitle, isActive } from "../AppShell";

const TABS = [
  { href: "/admin/", label: "Users" },
  { href: "/admin/audit/", label: "Audit log" },
  { href: "/admin/spend/", label: "Spend" },
] as const;

function AdminOnly({ children }: { children: ReactNode }) {
  const me = useMe();
  if (!me.is_admin) {
    return (
      <p role="alert" className="rounded-lg border border-line bg-surface p-4">
        Only administrators can open the admin console.
      </p>
    );
  }
  return <>{children}</>;
}

function Tabs() {
  const pathname = usePathname() ?? "/admin/";
  return (
    <nav aria-label="Admin" className="mb-5 flex flex-wrap gap-1 border-b border-line pb-2">
      {TABS.map((tab) => {
        const active = tab.href === "/admin/" ? pathname.replace(/\/?$/, "/") === "/admin/" : isActive(pathname, tab.href);
        return (
          <Link
            key={tab.href}
            href={tab.href}
            aria-current={active ? "page" : undefined}
            className={`rounded-md px-2.5 py-1 text-sm ${active ? "bg-accent-soft font-medium text-fg" : "text-muted hover:bg-surface-2 hover:text-fg"}`}
          >
            {tab.label}
          </Link>
        );
      })}
    </nav>
  );
}

/** The admin console's pages: the app shell, the console's tabs, and admins only. */
export function AdminShell({ title, sub, children }: { title: string; sub: string; children: ReactNode }) {
  return (
    <AppShell>
      <AdminOnly>
        <PageTitle sub={sub}>{title}</PageTitle>
        <Tabs />
        {children}
      </AdminOnly>
    </AppShell>
  );
}

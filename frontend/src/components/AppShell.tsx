"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState, type ReactNode } from "react";
import { api } from "@/api/client";
import { MeProvider, useMe } from "@/hooks/useMe";
import { ThemeToggle } from "./ThemeToggle";

const NAV = [
  { href: "/", label: "Chat" },
  { href: "/images/", label: "Images" },
  { href: "/prompts/", label: "Prompts" },
  { href: "/usage/", label: "Usage" },
  { href: "/keys/", label: "API keys" },
  { href: "/providers/", label: "Providers" },
  { href: "/teams/", label: "Teams" },
  { href: "/settings/", label: "Settings" },
] as const;
/** Shown to admins only (the server refuses everyone else anyway). */
const ADMIN_NAV = [{ href: "/admin/", label: "Admin" }] as const;

export function isActive(pathname: string, href: string): boolean {
  const norm = (p: string) => (p.endsWith("/") ? p : `${p}/`);
  return href === "/" ? pathname === "/" : norm(pathname).startsWith(href);
}

function SignOut() {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      disabled={busy}
      className="rounded-md border border-line px-2.5 py-1 text-sm hover:bg-surface-2 disabled:opacity-60"
      onClick={async () => {
        setBusy(true);
        try {
          await api().POST("/api/v1/auth/logout");
        } catch {
          // offline: the sign-in page is still where the user wants to be
        } finally {
          window.location.assign("/login/");
        }
      }}
    >
      Sign out
    </button>
  );
}

function Header({ actions }: { actions?: ReactNode }) {
  const me = useMe();
  const pathname = usePathname() ?? "/";
  return (
    <header className="flex flex-wrap items-center gap-x-3 gap-y-1 border-b border-line bg-surface px-3 py-2">
      {actions}
      <Link href="/" className="flex items-center gap-2 font-semibold">
        {/* eslint-disable-next-line @next/next/no-img-element */}
        <img src="/favicon.svg" alt="" width={22} height={22} />
        <span>Lockgate</span>
      </Link>
      {/* Wraps rather than scrolls: at 375 px every page stays visible, none is cut off. */}
      <nav aria-label="Main" className="order-last -mx-1 flex w-full flex-wrap gap-x-0.5 gap-y-1 sm:order-none sm:w-auto sm:gap-1">
        {[...NAV, ...(me.is_admin ? ADMIN_NAV : [])].map((item) => {
          const active = isActive(pathname, item.href);
          return (
            <Link
              key={item.href}
              href={item.href}
              aria-current={active ? "page" : undefined}
              className={`whitespace-nowrap rounded-md px-2 py-1 text-sm sm:px-2.5 ${
                active ? "bg-accent-soft font-medium text-fg" : "text-muted hover:bg-surface-2 hover:text-fg"
              }`}
            >
              {item.label}
            </Link>
          );
        })}
      </nav>
      <div className="ml-auto flex items-center gap-2">
        <span className="hidden max-w-48 truncate text-sm text-muted md:inline" title={me.email}>
          {me.email}
        </span>
        <ThemeToggle />
        <SignOut />
      </div>
    </header>
  );
}

function Loading() {
  return (
    <div className="flex min-h-dvh items-center justify-center text-muted" role="status">
      Loading…
    </div>
  );
}

/** Signed-in pages: the user, the header and a main landmark. */
export function AppShell({
  children,
  headerActions,
  fill = false,
}: {
  children: ReactNode;
  headerActions?: ReactNode;
  fill?: boolean;
}) {
  return (
    <MeProvider fallback={<Loading />}>
      <a href="#main" className="sr-only-focusable fixed left-2 top-2 z-50 rounded bg-accent px-3 py-2 text-accent-fg">
        Skip to content
      </a>
      <div className={fill ? "flex h-dvh flex-col" : "min-h-dvh"}>
        <Header actions={headerActions} />
        {fill ? (
          children
        ) : (
          <main id="main" className="mx-auto w-full max-w-5xl px-4 py-6">
            {children}
          </main>
        )}
      </div>
    </MeProvider>
  );
}

export function PageTitle({ children, sub }: { children: ReactNode; sub?: ReactNode }) {
  return (
    <div className="mb-5">
      <h1 className="text-2xl font-semibold">{children}</h1>
      {sub ? <p className="mt-1 text-muted">{sub}</p> : null}
    </div>
  );
}

"use client";

import Link from "next/link";
import { useEffect, useId, useState } from "react";

const LINKS = [
  { href: "/", label: "Chat", text: "Your conversations" },
  { href: "/images/", label: "Images", text: "Generate and browse images" },
  { href: "/usage/", label: "Usage", text: "What you spent, by day and model" },
  { href: "/providers/", label: "Providers", text: "Live provider status" },
  { href: "/settings/", label: "Settings", text: "Password and sessions" },
];

export function NotFound() {
  const id = useId();
  const [path, setPath] = useState<string | null>(null);
  useEffect(() => setPath(window.location.pathname), []);
  return (
    <main id="main" className="mx-auto flex min-h-dvh max-w-xl flex-col justify-center px-4 py-12">
      <p className="font-mono text-sm text-muted">404</p>
      <h1 className="mt-1 text-3xl font-semibold">Page not found</h1>
      <p className="mt-3 text-muted">
        {path ? (
          <>
            Nothing lives at <code className="break-all rounded bg-surface-2 px-1 font-mono text-fg">{path}</code>.
          </>
        ) : (
          "This page does not exist."
        )}{" "}
        Search your conversations or pick a page below.
      </p>
      <form action="/" method="get" role="search" className="mt-6 flex gap-2">
        <label htmlFor={id} className="sr-only">
          Search conversations
        </label>
        <input id={id} name="q" type="search" placeholder="Search conversations" className="min-w-0 flex-1 rounded-md border border-field bg-bg px-3 py-2" />
        <button type="submit" className="rounded-md bg-accent px-4 py-2 font-medium text-accent-fg hover:bg-accent-hover">
          Search
        </button>
      </form>
      <nav aria-label="Pages" className="mt-8">
        <ul className="grid gap-2 sm:grid-cols-2">
          {LINKS.map((l) => (
            <li key={l.href}>
              <Link href={l.href} className="block rounded-lg border border-line p-3 hover:bg-surface">
                <span className="font-medium">{l.label}</span>
                <span className="block text-sm text-muted">{l.text}</span>
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <p className="mt-8 text-sm text-muted">
        Not signed in?{" "}
        <Link href="/login/" className="text-fg underline">
          Sign in
        </Link>
      </p>
    </main>
  );
}

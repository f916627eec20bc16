import type { Metadata, Viewport } from "next";
import { ServiceWorker } from "@/components/ServiceWorker";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Lockgate", template: "%s · Lockgate" },
  description: "Self-hosted AI chat with spend and load you can see.",
  icons: { icon: "/favicon.svg", apple: "/icons/icon-192.png" },
  manifest: "/manifest.webmanifest",
};

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  colorScheme: "light dark",
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#ffffff" },
    { media: "(prefers-color-scheme: dark)", color: "#0f1115" },
  ],
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    // data-theme is set by theme-init.js before React runs: not a hydration mismatch.
    <html lang="en" suppressHydrationWarning>
      <head>
        {/* Blocking on purpose (before the first paint) and same-origin, so the CSP allows it. */}
        {/* eslint-disable-next-line @next/next/no-sync-scripts */}
        <script src="/theme-init.js" />
      </head>
      <body className="min-h-dvh bg-bg font-sans text-fg antialiased">
        {children}
        <ServiceWorker />
      </body>
    </html>
  );
}

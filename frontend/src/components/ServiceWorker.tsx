"use client";

import { useEffect } from "react";

/**
 * Registers /sw.js (written at build time by scripts/build-sw.mjs), which caches the app shell
 * only: the exported pages and their hashed scripts, styles and fonts. It never caches an API
 * response or anything about the user. Skipped in `next dev`, where there is no sw.js.
 */
export function ServiceWorker() {
  useEffect(() => {
    if (process.env.NODE_ENV !== "production" || !("serviceWorker" in navigator) || !window.isSecureContext) return;
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
      // An app that cannot be installed still works as a web page.
    });
  }, []);
  return null;
}

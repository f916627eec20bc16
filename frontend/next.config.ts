import type { NextConfig } from "next";

// Production is a static export served by FastAPI at `/` (no Node process). `next dev` instead
// proxies the API so the UI can be developed against `lockgate serve` on another port.
const isDev = process.env.NODE_ENV === "development";
const apiOrigin = process.env.LOCKGATE_API_ORIGIN ?? "http://127.0.0.1:8000";

const config: NextConfig = {
  trailingSlash: true,
  reactStrictMode: true,
  poweredByHeader: false,
  productionBrowserSourceMaps: false,
  images: { unoptimized: true },
  ...(isDev
    ? {
        // API paths have no trailing slash: let them through unredirected.
        skipTrailingSlashRedirect: true,
        async rewrites() {
          return [
            { source: "/api/:path*", destination: `${apiOrigin}/api/:path*` },
            { source: "/health/:path*", destination: `${apiOrigin}/health/:path*` },
          ];
        },
      }
    : { output: "export" as const }),
};

export default config;

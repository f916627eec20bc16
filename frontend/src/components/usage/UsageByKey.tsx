"use client";

import type { UsageKeyRow } from "@/api/types";
import { formatTokens, formatUsd } from "@/lib/format";

/** Spend per API key over the period; the web app's own calls (no key) as one row. */
export function UsageByKey({ rows }: { rows: UsageKeyRow[] }) {
  if (rows.length === 0) return <p className="text-muted">No usage in this period yet.</p>;
  return (
    <div className="overflow-x-auto" tabIndex={0} role="region" aria-label="Spend by key">
      <table className="w-full min-w-[560px] text-left text-sm" data-testid="usage-by-key">
        <thead className="border-b border-line text-muted">
          <tr>
            <th scope="col" className="py-2 pr-3 font-medium">Key</th>
            <th scope="col" className="py-2 pr-3 text-right font-medium">Requests</th>
            <th scope="col" className="py-2 pr-3 text-right font-medium">From cache</th>
            <th scope="col" className="py-2 pr-3 text-right font-medium">Tokens in / out</th>
            <th scope="col" className="py-2 pr-3 text-right font-medium">Saved</th>
            <th scope="col" className="py-2 text-right font-medium">Cost</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key_id ?? "web"} className="border-b border-line">
              <th scope="row" className="py-2 pr-3 font-medium">
                {r.key_id === null ? (
                  "Web app (chat, images)"
                ) : (
                  <>
                    {r.name ?? "Deleted key"} {r.prefix ? <code className="rounded bg-code px-1 text-xs font-normal">{r.prefix}…</code> : null}
                    {r.revoked ? <span className="ml-1 text-xs font-normal text-muted">(revoked)</span> : null}
                  </>
                )}
              </th>
              <td className="py-2 pr-3 text-right">{formatTokens(r.requests)}</td>
              <td className="py-2 pr-3 text-right">{formatTokens(r.cache_hits)}</td>
              <td className="py-2 pr-3 text-right">
                {formatTokens(r.input_tokens)} / {formatTokens(r.output_tokens)}
              </td>
              <td className="py-2 pr-3 text-right">{formatUsd(r.saved_usd)}</td>
              <td className="py-2 text-right">{formatUsd(r.cost_usd)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

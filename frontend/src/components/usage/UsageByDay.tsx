"use client";

import type { DaySpend } from "@/lib/usage";
import { formatUsd } from "@/lib/format";

/** The chart's numbers as a table (for screen readers, and for reading exact amounts). */
export function UsageByDay({ days }: { days: DaySpend[] }) {
  return (
    <details className="mt-3">
      <summary className="cursor-pointer text-sm text-muted hover:text-fg">Spend per day as a table</summary>
      <div className="mt-2 overflow-x-auto" tabIndex={0} role="region" aria-label="Spend per day">
        <table className="w-full text-left text-sm">
          <thead className="border-b border-line text-muted">
            <tr>
              <th scope="col" className="py-1.5 pr-3 font-medium">Day (UTC)</th>
              <th scope="col" className="py-1.5 text-right font-medium">Cost</th>
            </tr>
          </thead>
          <tbody>
            {[...days].reverse().map((d) => (
              <tr key={d.day} className="border-b border-line">
                <th scope="row" className="py-1.5 pr-3 font-normal">{d.day}</th>
                <td className="py-1.5 text-right">{formatUsd(d.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

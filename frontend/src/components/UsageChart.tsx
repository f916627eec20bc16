"use client";

import { type DaySpend, niceMax } from "@/lib/usage";
import { formatUsd } from "@/lib/format";

/** Colour-blind-friendly palette (Okabe–Ito), readable on light and dark backgrounds. */
export const SERIES_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8a8f98"];

export function colourFor(index: number): string {
  return SERIES_COLOURS[index % SERIES_COLOURS.length] ?? "#888";
}

const W = 720;
const H = 240;
const PAD = { top: 12, right: 8, bottom: 28, left: 84 };

/** Axis labels: enough significant digits to tell the ticks apart, no more. */
export function tickLabel(v: number): string {
  if (v === 0) return "$0";
  const digits = Math.min(10, Math.max(2, 1 - Math.floor(Math.log10(v))));
  return `$${v.toFixed(digits).replace(/0+$/, "").replace(/\.$/, "")}`;
}

/** Stacked bars: spend per day, one colour per model. The table below carries the same data. */
export function UsageChart({ days, models }: { days: DaySpend[]; models: string[] }) {
  const max = niceMax(Math.max(0, ...days.map((d) => d.total)));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const slot = days.length ? innerW / days.length : innerW;
  const bar = Math.max(1, Math.min(28, slot * 0.7));
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const ticks = [0, 0.5, 1].map((f) => f * max);
  const labelEvery = Math.max(1, Math.ceil(days.length / 8));
  const total = days.reduce((s, d) => s + d.total, 0);
  return (
    <figure className="overflow-x-auto">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`Spend per day over ${days.length} days, ${formatUsd(total)} in total`}
        className="h-auto w-full min-w-[280px] text-muted"
      >
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} stroke="currentColor" strokeOpacity={0.25} />
            <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end" fontSize={11} fill="currentColor">
              {tickLabel(t)}
            </text>
          </g>
        ))}
        {days.map((d, i) => {
          const x = PAD.left + i * slot + (slot - bar) / 2;
          let acc = 0;
          return (
            <g key={d.day}>
              {models.map((m, mi) => {
                const v = d.byModel[m] ?? 0;
                if (!v) return null;
                const top = y(acc + v);
                const height = y(acc) - top;
                acc += v;
                return (
                  <rect key={m} x={x} y={top} width={bar} height={Math.max(height, 0.5)} fill={colourFor(mi)}>
                    <title>{`${d.day} · ${m}: ${formatUsd(v)}`}</title>
                  </rect>
                );
              })}
              {i % labelEvery === 0 ? (
                <text x={x + bar / 2} y={H - 8} textAnchor="middle" fontSize={11} fill="currentColor">
                  {d.day.slice(5)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-sm">
        {models.map((m, i) => (
          <span key={m} className="inline-flex items-center gap-1.5">
            <span aria-hidden="true" className="inline-block size-3 rounded-sm" style={{ background: colourFor(i) }} />
            {m}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

"use client";

import { useEffect, useState } from "react";
import { type AppError, errorTitle, formatWait } from "@/api/errors";
import { formatWhen } from "@/lib/format";

/** Seconds left of a Retry-After, counting down once a second. */
export function useCountdown(seconds: number | null): number | null {
  const [left, setLeft] = useState(seconds);
  useEffect(() => {
    setLeft(seconds);
    if (seconds === null || seconds <= 0) return;
    const started = Date.now();
    const timer = setInterval(() => {
      const remaining = Math.max(0, seconds - Math.floor((Date.now() - started) / 1000));
      setLeft(remaining);
      if (remaining === 0) clearInterval(timer);
    }, 1000);
    return () => clearInterval(timer);
  }, [seconds]);
  return left;
}

function detail(error: AppError, left: number | null): string | null {
  if (error.kind === "budget" && error.resetsAt) {
    if (!Number.isNaN(Date.parse(error.resetsAt))) return `It resets ${formatWhen(error.resetsAt)}.`;
  }
  if (left !== null && left > 0) return `Try again in ${formatWait(left)}.`;
  if (left === 0) return "You can try again now.";
  return null;
}

const TONE: Record<AppError["kind"], string> = {
  rate_limited: "border-warn bg-warn-soft text-warn",
  budget: "border-warn bg-warn-soft text-warn",
  overloaded: "border-warn bg-warn-soft text-warn",
  provider: "border-danger bg-danger-soft text-danger",
  auth: "border-danger bg-danger-soft text-danger",
  invalid: "border-danger bg-danger-soft text-danger",
  not_found: "border-danger bg-danger-soft text-danger",
  network: "border-danger bg-danger-soft text-danger",
  unknown: "border-danger bg-danger-soft text-danger",
};

export function ErrorBanner({ error, onDismiss }: { error: AppError; onDismiss?: () => void }) {
  const left = useCountdown(error.retryAfter);
  const extra = detail(error, left);
  return (
    <div role="alert" data-error-kind={error.kind} data-error-code={error.code} className={`rounded-lg border px-3 py-2 text-sm ${TONE[error.kind]}`}>
      <div className="flex items-start gap-2">
        <div className="min-w-0 flex-1">
          <strong className="font-semibold">{errorTitle(error)}.</strong> <span>{error.message}</span>
          {extra ? <span data-testid="retry-after"> {extra}</span> : null}
        </div>
        {onDismiss ? (
          <button type="button" onClick={onDismiss} className="rounded px-1.5 text-current hover:underline" aria-label="Dismiss">
            ×
          </button>
        ) : null}
      </div>
    </div>
  );
}

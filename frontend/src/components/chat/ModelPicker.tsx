"use client";

import { useId } from "react";
import type { Model } from "@/api/types";
import { formatPrice } from "@/lib/format";

export function modelOptionLabel(model: Model): string {
  return `${model.label} — ${formatPrice(model.price.input_per_mtok, model.price.output_per_mtok)}`;
}

export function ModelPicker({
  models,
  value,
  onChange,
}: {
  models: Model[];
  value: string | null;
  onChange: (id: string) => void;
}) {
  const id = useId();
  const current = models.find((m) => m.id === value) ?? null;
  return (
    <div className="flex min-w-0 items-center gap-2">
      <label htmlFor={id} className="shrink-0 text-sm text-muted">
        Model
      </label>
      <select
        id={id}
        value={value ?? ""}
        onChange={(e) => onChange(e.target.value)}
        className="min-w-0 max-w-full truncate rounded-md border border-field bg-bg px-2 py-1 text-sm"
        aria-describedby={current ? `${id}-price` : undefined}
      >
        {models.map((m) => (
          <option key={m.id} value={m.id}>
            {modelOptionLabel(m)}
          </option>
        ))}
      </select>
      {current ? (
        <span id={`${id}-price`} className="sr-only">
          {formatPrice(current.price.input_per_mtok, current.price.output_per_mtok)}, context {current.context_window} tokens, via{" "}
          {current.provider}
        </span>
      ) : null}
    </div>
  );
}

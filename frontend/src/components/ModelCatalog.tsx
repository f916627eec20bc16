"use client";

import { useEffect, useId, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { CatalogModel } from "@/api/types";
import { capabilities, priceText, SOURCE_LABELS } from "@/lib/catalog";
import { ErrorBanner } from "./ErrorBanner";

const SOURCE_TONES: Record<CatalogModel["price_source"], string> = {
  config: "bg-surface-2 text-fg",
  builtin: "bg-surface-2 text-fg",
  unknown: "bg-warn-soft text-warn",
};

/** The configured models, read-only: provider, price and its source, capabilities, fallbacks. */
export function ModelCatalog() {
  const id = useId();
  const [models, setModels] = useState<CatalogModel[] | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    let live = true;
    api()
      .GET("/api/v1/catalog/models")
      .then(({ data, error: err, response }) => {
        if (!live) return;
        if (data) setModels(data.models);
        else setError(fromResponse(response, err));
      })
      .catch((e: unknown) => {
        if (live) setError(networkError(e));
      });
    return () => {
      live = false;
    };
  }, []);

  return (
    <section aria-labelledby={`${id}-title`} className="mt-10">
      <h2 id={`${id}-title`} className="text-lg font-semibold">
        Models
      </h2>
      <p className="mb-3 text-sm text-muted">
        What each configured model costs and where that price comes from: <em>lockgate.yaml</em> (a <code className="rounded bg-code px-1">price:</code> there), Lockgate&apos;s
        built-in list prices for the upstream model, or unknown (calls are counted as free: right for a local model, a mistake for a hosted one).
      </p>
      {error ? <ErrorBanner error={error} /> : null}
      {models === null && !error ? (
        <p className="text-muted" role="status">
          Loading…
        </p>
      ) : null}
      {models?.length === 0 ? <p className="text-muted">No models configured.</p> : null}
      {models && models.length > 0 ? (
        <div className="overflow-x-auto rounded-xl border border-line bg-surface" tabIndex={0} role="region" aria-label="Configured models">
          <table className="w-full text-left text-sm" data-testid="model-catalog">
            <thead className="border-b border-line text-xs text-muted">
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">
                  Model
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Provider
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Price
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Price source
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Capabilities
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Fallbacks
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-line">
              {models.map((m) => (
                <tr key={m.name} data-testid="catalog-row">
                  <th scope="row" className="px-3 py-2 align-top font-medium">
                    {m.label}
                    {m.default ? <span className="ml-1 text-xs font-normal text-muted">(default)</span> : null}
                    <span className="block font-mono text-xs font-normal text-muted">
                      {m.name === m.upstream ? m.name : `${m.name} → ${m.upstream}`}
                    </span>
                  </th>
                  <td className="px-3 py-2 align-top">
                    {m.provider} <span className="text-muted">({m.provider_type})</span>
                  </td>
                  <td className="px-3 py-2 align-top">{priceText(m)}</td>
                  <td className="px-3 py-2 align-top">
                    <span className={`whitespace-nowrap rounded px-1.5 py-0.5 text-xs font-medium ${SOURCE_TONES[m.price_source]}`}>{SOURCE_LABELS[m.price_source]}</span>
                  </td>
                  <td className="px-3 py-2 align-top">
                    {capabilities(m).join(" · ")}
                    {m.kind === "chat" ? (
                      <span className="block text-xs text-muted">
                        {m.context_window.toLocaleString("en")} tokens of context, {m.max_output_tokens.toLocaleString("en")} out
                      </span>
                    ) : null}
                  </td>
                  <td className="px-3 py-2 align-top">{m.fallbacks.length ? m.fallbacks.join(" → ") : <span className="text-muted">None</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

"use client";

import { useCallback, useEffect, useId, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { Image } from "@/api/types";
import { useModels } from "@/hooks/useModels";
import { formatCost, formatDateTime, formatUsd } from "@/lib/format";
import { AppShell, PageTitle } from "./AppShell";
import { ErrorBanner } from "./ErrorBanner";

export function ImagesApp() {
  const id = useId();
  const { models, selected, setSelected, byId } = useModels("image");
  const [prompt, setPrompt] = useState("");
  const [size, setSize] = useState<string>("");
  const [count, setCount] = useState(1);
  const [images, setImages] = useState<Image[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const model = byId(selected);

  const load = useCallback(async (after: string | null) => {
    setLoading(true);
    try {
      const { data, error: err, response } = await api().GET("/api/v1/images", {
        params: { query: { cursor: after ?? undefined } },
      });
      if (data) {
        setImages((prev) => (after ? [...prev, ...data.items] : data.items));
        setCursor(data.next_cursor);
      } else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load(null);
  }, [load]);

  useEffect(() => {
    if (model && !model.image_sizes.includes(size)) setSize(model.image_sizes[0] ?? "");
  }, [model, size]);

  async function generate(e: React.FormEvent) {
    e.preventDefault();
    if (!prompt.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const { data, error: err, response } = await api().POST("/api/v1/images", {
        body: { prompt: prompt.trim(), n: count, model: selected, size: size || null },
      });
      if (data) {
        setImages((prev) => [...data.items, ...prev]);
        setPrompt("");
      } else setError(fromResponse(response, err));
    } catch (e2) {
      setError(networkError(e2));
    } finally {
      setBusy(false);
    }
  }

  async function remove(image: Image) {
    try {
      const { response, error: err } = await api().DELETE("/api/v1/images/{image_id}", {
        params: { path: { image_id: image.id } },
      });
      if (response.ok) setImages((prev) => prev.filter((i) => i.id !== image.id));
      else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    }
  }

  const perImage = model ? Number(model.price.per_image) : 0;
  return (
    <AppShell>
      <PageTitle sub="Describe an image; only you can see what you generate.">Images</PageTitle>
      <form onSubmit={generate} className="space-y-3 rounded-xl border border-line bg-surface p-4">
        <div>
          <label htmlFor={`${id}-prompt`} className="mb-1 block text-sm font-medium">
            Prompt
          </label>
          <textarea
            id={`${id}-prompt`}
            value={prompt}
            rows={2}
            maxLength={4000}
            required
            onChange={(e) => setPrompt(e.target.value)}
            placeholder="A lighthouse at dusk, watercolour"
            className="w-full rounded-md border border-field bg-bg px-3 py-2"
          />
        </div>
        <div className="flex flex-wrap items-end gap-3">
          <div>
            <label htmlFor={`${id}-model`} className="mb-1 block text-sm font-medium">
              Model
            </label>
            <select id={`${id}-model`} value={selected ?? ""} onChange={(e) => setSelected(e.target.value)} className="rounded-md border border-field bg-bg px-2 py-1.5 text-sm">
              {models.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.label} — {Number(m.price.per_image) ? `${formatUsd(m.price.per_image)} per image` : "free"}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={`${id}-size`} className="mb-1 block text-sm font-medium">
              Size
            </label>
            <select id={`${id}-size`} value={size} onChange={(e) => setSize(e.target.value)} className="rounded-md border border-field bg-bg px-2 py-1.5 text-sm">
              {(model?.image_sizes ?? []).map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={`${id}-n`} className="mb-1 block text-sm font-medium">
              How many
            </label>
            <select id={`${id}-n`} value={count} onChange={(e) => setCount(Number(e.target.value))} className="rounded-md border border-field bg-bg px-2 py-1.5 text-sm">
              {[1, 2, 3, 4].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" disabled={busy || !prompt.trim()} className="rounded-md bg-accent px-4 py-1.5 font-medium text-accent-fg hover:bg-accent-hover disabled:opacity-60">
            {busy ? "Generating…" : "Generate"}
          </button>
          {perImage ? <span className="text-sm text-muted">Costs {formatUsd(perImage * count)}</span> : null}
        </div>
        {error ? <ErrorBanner error={error} onDismiss={() => setError(null)} /> : null}
      </form>

      <h2 className="mb-3 mt-8 text-lg font-semibold">Your images</h2>
      {!loading && images.length === 0 ? <p className="text-muted">No images yet.</p> : null}
      <ul className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3" aria-busy={loading} data-testid="gallery">
        {images.map((image) => (
          <li key={image.id} className="overflow-hidden rounded-xl border border-line bg-surface">
            <a href={image.url} target="_blank" rel="noopener noreferrer">
              {/* eslint-disable-next-line @next/next/no-img-element */}
              <img src={image.url} alt={image.prompt} loading="lazy" className="aspect-square w-full bg-surface-2 object-cover" />
              <span className="sr-only"> (opens full size in a new tab)</span>
            </a>
            <div className="space-y-1 p-3 text-sm">
              <p className="line-clamp-2 break-words">{image.prompt}</p>
              <p className="text-xs text-muted">
                {image.size} · {image.model} via {image.provider} · {formatCost(image.cost_usd)} · {formatDateTime(image.created_at)}
              </p>
              <button type="button" onClick={() => void remove(image)} className="rounded px-2 py-0.5 text-xs text-muted hover:bg-surface-2 hover:text-danger" aria-label={`Delete image: ${image.prompt}`}>
                Delete
              </button>
            </div>
          </li>
        ))}
      </ul>
      {cursor ? (
        <button type="button" onClick={() => void load(cursor)} className="mt-4 rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2">
          Load more
        </button>
      ) : null}
    </AppShell>
  );
}

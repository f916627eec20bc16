"use client";

import { type FormEvent, useId, useState } from "react";
import type { AppError } from "@/api/errors";
import { type Prompt, type PromptInput, usePrompts } from "@/hooks/usePrompts";
import { msg } from "@/lib/messages";
import { AppShell, PageTitle } from "./AppShell";
import { ErrorBanner } from "./ErrorBanner";

const TITLE_MAX = 100;
const CONTENT_MAX = 20_000;

/** Title + text, for a new prompt or an edit. Keeps what was typed when the save is refused. */
function PromptForm({
  initial,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial?: PromptInput;
  submitLabel: string;
  onSubmit: (input: PromptInput) => Promise<AppError | null>;
  onCancel?: () => void;
}) {
  const id = useId();
  const [title, setTitle] = useState(initial?.title ?? "");
  const [content, setContent] = useState(initial?.content ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    const failure = await onSubmit({ title: title.trim(), content });
    setBusy(false);
    setError(failure);
    if (!failure && !initial) {
      setTitle("");
      setContent("");
    }
  }

  return (
    <form onSubmit={submit} className="space-y-3">
      {error ? <ErrorBanner error={error} onDismiss={() => setError(null)} /> : null}
      <div>
        <label htmlFor={`${id}-title`} className="mb-1 block text-sm font-medium">
          {msg.prompts.title}
        </label>
        <input
          id={`${id}-title`}
          required
          maxLength={TITLE_MAX}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          className="w-full rounded-md border border-field bg-bg px-2.5 py-1.5"
        />
      </div>
      <div>
        <label htmlFor={`${id}-content`} className="mb-1 block text-sm font-medium">
          {msg.prompts.content}
        </label>
        <textarea
          id={`${id}-content`}
          required
          rows={4}
          maxLength={CONTENT_MAX}
          value={content}
          onChange={(e) => setContent(e.target.value)}
          className="w-full rounded-md border border-field bg-bg px-2.5 py-1.5"
        />
      </div>
      <div className="flex gap-2">
        <button
          type="submit"
          disabled={busy || !title.trim() || !content.trim()}
          className="rounded-md bg-accent px-3 py-1.5 text-sm font-medium text-accent-fg hover:bg-accent-hover disabled:opacity-50"
        >
          {submitLabel}
        </button>
        {onCancel ? (
          <button type="button" onClick={onCancel} className="rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2">
            {msg.prompts.cancel}
          </button>
        ) : null}
      </div>
    </form>
  );
}

function PromptRow({
  prompt,
  onUpdate,
  onRemove,
}: {
  prompt: Prompt;
  onUpdate: (input: PromptInput) => Promise<AppError | null>;
  onRemove: () => Promise<AppError | null>;
}) {
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  if (editing) {
    return (
      <li className="rounded-lg border border-line p-3">
        <PromptForm
          initial={{ title: prompt.title, content: prompt.content }}
          submitLabel={msg.prompts.save}
          onSubmit={async (input) => {
            const failure = await onUpdate(input);
            if (!failure) setEditing(false);
            return failure;
          }}
          onCancel={() => setEditing(false)}
        />
      </li>
    );
  }
  return (
    <li className="rounded-lg border border-line p-3" data-testid="prompt">
      {error ? <ErrorBanner error={error} onDismiss={() => setError(null)} /> : null}
      <div className="flex flex-wrap items-start gap-2">
        <h3 className="min-w-0 flex-1 font-medium break-words">{prompt.title}</h3>
        <button type="button" onClick={() => setEditing(true)} className="rounded-md border border-line px-2 py-0.5 text-sm hover:bg-surface-2" aria-label={`${msg.prompts.edit}: ${prompt.title}`}>
          {msg.prompts.edit}
        </button>
        <button
          type="button"
          onClick={async () => {
            if (!window.confirm(msg.prompts.confirmRemove(prompt.title))) return;
            setError(await onRemove());
          }}
          className="rounded-md border border-line px-2 py-0.5 text-sm text-danger hover:bg-danger-soft"
          aria-label={`${msg.prompts.remove}: ${prompt.title}`}
        >
          {msg.prompts.remove}
        </button>
      </div>
      <p className="mt-1 line-clamp-3 whitespace-pre-wrap break-words text-sm text-muted">{prompt.content}</p>
    </li>
  );
}

/** The prompt library: save, edit and delete the prompts `/` inserts in the composer. */
export function PromptsApp() {
  const prompts = usePrompts();
  return (
    <AppShell>
      <PageTitle sub={msg.prompts.pageSub}>{msg.prompts.page}</PageTitle>
      <div className="grid gap-6 md:grid-cols-[minmax(0,1fr)_minmax(0,1.2fr)]">
        <section aria-labelledby="new-prompt" className="rounded-xl border border-line bg-surface p-4">
          <h2 id="new-prompt" className="mb-3 font-semibold">
            {msg.prompts.add}
          </h2>
          <PromptForm submitLabel={msg.prompts.add} onSubmit={prompts.create} />
        </section>
        <section aria-labelledby="your-prompts">
          <h2 id="your-prompts" className="mb-3 font-semibold">
            {msg.prompts.listLabel}
            {prompts.limit !== null ? (
              <span className="ml-2 text-sm font-normal text-muted">{msg.prompts.count(prompts.items.length, prompts.limit)}</span>
            ) : null}
          </h2>
          {prompts.error ? <ErrorBanner error={prompts.error} /> : null}
          {!prompts.loading && prompts.items.length === 0 && !prompts.error ? <p className="text-muted">{msg.prompts.empty}</p> : null}
          <ul className="space-y-2" aria-busy={prompts.loading}>
            {prompts.items.map((p) => (
              <PromptRow key={p.id} prompt={p} onUpdate={(input) => prompts.update(p.id, input)} onRemove={() => prompts.remove(p.id)} />
            ))}
          </ul>
        </section>
      </div>
    </AppShell>
  );
}

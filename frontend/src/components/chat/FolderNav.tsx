"use client";

import { useEffect, useId, useRef, useState } from "react";
import type { AppError } from "@/api/errors";
import type { Folders } from "@/hooks/useFolders";
import { isFolder } from "@/hooks/useFolders";
import { type View, sameView } from "@/lib/conversationList";
import type { Folder } from "@/lib/folders";
import { ErrorBanner } from "../ErrorBanner";
import { RowMenu } from "./RowMenu";

/** One text field with Save/Cancel: a new folder's name, or a folder's new name. */
function NameForm({
  label,
  initial,
  submit,
  onDone,
  action,
}: {
  label: string;
  initial: string;
  submit: (name: string) => Promise<AppError | null>;
  onDone: () => void;
  action: string;
}) {
  const [name, setName] = useState(initial);
  const [error, setError] = useState<AppError | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);
  return (
    <form
      className="px-2 py-1.5"
      onSubmit={async (e) => {
        e.preventDefault();
        const clean = name.trim();
        if (!clean || clean === initial) return onDone();
        const failure = await submit(clean);
        if (failure) setError(failure);
        else onDone();
      }}
    >
      <label htmlFor={id} className="sr-only">
        {label}
      </label>
      <input
        id={id}
        ref={input}
        value={name}
        maxLength={100}
        placeholder={label}
        onChange={(e) => setName(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.stopPropagation();
            onDone();
          }
        }}
        className="w-full rounded border border-field bg-bg px-2 py-1 text-sm"
      />
      <div className="mt-1 flex gap-1">
        <button type="submit" className="rounded bg-accent px-2 py-0.5 text-xs text-accent-fg">
          {action}
        </button>
        <button type="button" onClick={onDone} className="rounded px-2 py-0.5 text-xs hover:bg-surface-2">
          Cancel
        </button>
      </div>
      {error ? <ErrorBanner error={error} /> : null}
    </form>
  );
}

function ViewButton({ label, count, current, onClick }: { label: string; count?: number; current: boolean; onClick: () => void }) {
  const chats = count === 1 ? "1 chat" : `${count} chats`;
  return (
    <button
      type="button"
      onClick={onClick}
      aria-current={current ? "true" : undefined}
      aria-label={count !== undefined ? `${label}, ${chats}` : undefined}
      title={label}
      className="flex min-w-0 flex-1 items-center gap-2 px-2 py-1 text-left text-sm"
    >
      <span className="min-w-0 flex-1 truncate">{label}</span>
      {count !== undefined ? (
        <span className="shrink-0 text-xs text-muted" aria-hidden="true">
          {count}
        </span>
      ) : null}
    </button>
  );
}

function FolderRow({ folder, current, folders, onOpen, onDeleted }: { folder: Folder; current: boolean; folders: Folders; onOpen: () => void; onDeleted: () => void }) {
  const [mode, setMode] = useState<"view" | "rename" | "confirm">("view");
  const [error, setError] = useState<AppError | null>(null);
  if (mode === "rename") {
    return (
      <div>
        <NameForm label="New folder name" action="Save" initial={folder.name} submit={(name) => folders.rename(folder.id, name)} onDone={() => setMode("view")} />
      </div>
    );
  }
  return (
    <div className={`rounded-md ${current ? "bg-accent-soft" : "hover:bg-surface-2"}`}>
      <div className="flex items-center">
        <ViewButton label={folder.name} count={folder.conversation_count} current={current} onClick={onOpen} />
        {mode === "view" ? (
          <RowMenu
            title={folder.name}
            hint="Rename or delete the folder"
            items={[
              { label: "Rename", onSelect: () => setMode("rename") },
              { label: "Delete", onSelect: () => setMode("confirm"), danger: true },
            ]}
          />
        ) : null}
      </div>
      {mode === "confirm" ? (
        <div className="flex flex-wrap items-center gap-1 px-2 pb-2 text-xs" role="group" aria-label="Confirm folder delete">
          <span className="text-muted">Delete this folder? Its chats are kept.</span>
          <button
            type="button"
            autoFocus
            className="rounded bg-danger px-2 py-0.5 font-medium text-bg"
            onClick={async () => {
              const failure = await folders.remove(folder.id);
              if (failure) setError(failure);
              else onDeleted();
            }}
          >
            Delete folder
          </button>
          <button type="button" className="rounded px-2 py-0.5 hover:bg-surface" onClick={() => setMode("view")}>
            Keep
          </button>
        </div>
      ) : null}
      {error ? <ErrorBanner error={error} onDismiss={() => setError(null)} /> : null}
    </div>
  );
}

/** The views of the list: all chats, each folder (with its menu), the archive; and "New folder". */
export function FolderNav({ folders, view, setView }: { folders: Folders; view: View; setView: (view: View) => void }) {
  const [adding, setAdding] = useState(false);
  const headingId = useId();
  const isCurrent = (v: View) => sameView(view, v);
  const item = (current: boolean) => `rounded-md ${current ? "bg-accent-soft" : "hover:bg-surface-2"}`;
  return (
    <section aria-labelledby={headingId} className="space-y-0.5">
      <div className="flex items-center justify-between px-2">
        <h2 id={headingId} className="text-xs font-semibold uppercase tracking-wide text-muted">
          Folders
        </h2>
        <button type="button" onClick={() => setAdding(true)} className="rounded px-1.5 py-0.5 text-xs text-muted hover:bg-surface-2 hover:text-fg">
          + New folder
        </button>
      </div>
      {/* Not a list: the conversations below are the sidebar's one list. */}
      <div className="max-h-48 space-y-0.5 overflow-y-auto">
        <div className={item(isCurrent({ kind: "all" }))}>
          <ViewButton label="All chats" current={isCurrent({ kind: "all" })} onClick={() => setView({ kind: "all" })} />
        </div>
        {folders.items.map((f) => (
          <FolderRow
            key={f.id}
            folder={f}
            folders={folders}
            current={isCurrent({ kind: "folder", id: f.id })}
            onOpen={() => setView({ kind: "folder", id: f.id })}
            onDeleted={() => {
              if (isCurrent({ kind: "folder", id: f.id })) setView({ kind: "all" });
            }}
          />
        ))}
        {adding ? (
          <div>
            <NameForm
              label="Folder name"
              action="Create"
              initial=""
              submit={async (name) => {
                const result = await folders.create(name);
                return isFolder(result) ? null : result;
              }}
              onDone={() => setAdding(false)}
            />
          </div>
        ) : null}
        <div className={item(isCurrent({ kind: "archived" }))}>
          <ViewButton label="Archived" current={isCurrent({ kind: "archived" })} onClick={() => setView({ kind: "archived" })} />
        </div>
      </div>
      {folders.error ? <ErrorBanner error={folders.error} /> : null}
    </section>
  );
}

"use client";

/**
 * Images in the chat: the composer's attach button, previews (with remove, upload progress and
 * errors), paste and drop, and the thumbnails under a sent message. The state is the pure
 * reducer of lib/attachments.ts; this file holds the browser side (files, uploads, object URLs).
 */
import { useCallback, useEffect, useId, useReducer, useRef, useState, type ClipboardEvent, type DragEvent, type ReactNode } from "react";
import { api } from "@/api/client";
import { fromResponse, networkError } from "@/api/errors";
import type { Attachment } from "@/api/types";
import {
  IMAGE_TYPES,
  byMessage,
  draftsReducer,
  initialDrafts,
  precheck,
  readyIds,
  uploadError,
  type DraftState,
  type MessageImages,
} from "@/lib/attachments";

async function uploadFile(file: File): Promise<{ attachment: Attachment } | { error: string }> {
  try {
    const { data, error, response } = await api().POST("/api/v1/attachments", {
      params: { query: { name: file.name } },
      // The file itself is the body; the server reads its type from the bytes.
      body: file as unknown as string,
      bodySerializer: (body: unknown) => body as BodyInit,
      headers: { "Content-Type": file.type || "application/octet-stream" },
    });
    if (data) return { attachment: data };
    return { error: uploadError(fromResponse(response, error)) };
  } catch (e) {
    return { error: uploadError(networkError(e)) };
  }
}

async function deleteUnsent(id: string): Promise<void> {
  try {
    await api().DELETE("/api/v1/attachments/{attachment_id}", { params: { path: { attachment_id: id } } });
  } catch {
    // offline: an unsent image stays on the server until its owner clears it
  }
}

/** The composer's images: add files (uploaded at once), remove one, clear after a send. */
export function useComposerImages() {
  const [state, dispatch] = useReducer(draftsReducer, initialDrafts);
  const stateRef = useRef(state);
  stateRef.current = state;
  const counter = useRef(0);

  const add = useCallback((files: File[]) => {
    let count = stateRef.current.items.length;
    for (const file of files) {
      const key = `img-${++counter.current}`;
      const preview = "";
      const name = file.name || "pasted image";
      const refused = precheck(file, count);
      if (refused) {
        dispatch({ type: "refused", key, name, preview, error: refused });
        continue;
      }
      count += 1;
      dispatch({ type: "added", key, name, preview });
      void uploadFile(file).then((result) => {
        if ("error" in result) {
          dispatch({ type: "failed", key, error: result.error });
        } else if (!stateRef.current.items.some((i) => i.key === key)) {
          void deleteUnsent(result.attachment.id); // removed while uploading
        } else {
          dispatch({ type: "uploaded", key, attachment: result.attachment });
        }
      });
    }
  }, []);

  const remove = useCallback((key: string) => {
    const item = stateRef.current.items.find((i) => i.key === key);
    if (!item) return;
    if (item.attachment) void deleteUnsent(item.attachment.id);
    dispatch({ type: "removed", key });
  }, []);

  /** After a send the server has them: forget the drafts (the files stay, with the message). */
  const clear = useCallback(() => {
    dispatch({ type: "cleared" });
  }, []);

  return { state, add, remove, clear, ids: readyIds(state) };
}

/** The image files of a paste or a drop (anything else is left to the text box). */
export function imageFiles(transfer: DataTransfer | null): File[] {
  if (!transfer) return [];
  return Array.from(transfer.files).filter((file) => file.type.startsWith("image/"));
}

/** Wraps the composer: a pasted or dropped image is attached; text pastes as usual. */
export function ImageDropZone({ onFiles, children }: { onFiles: (files: File[]) => void; children: ReactNode }) {
  const [over, setOver] = useState(false);
  return (
    <div
      data-testid="image-drop-zone"
      className={over ? "rounded-2xl outline-2 outline-dashed outline-accent" : undefined}
      onPaste={(e: ClipboardEvent) => {
        const files = imageFiles(e.clipboardData);
        if (files.length === 0) return;
        e.preventDefault();
        onFiles(files);
      }}
      onDragOver={(e: DragEvent) => {
        if (!Array.from(e.dataTransfer.types).includes("Files")) return;
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e: DragEvent) => {
        setOver(false);
        const files = imageFiles(e.dataTransfer);
        if (files.length === 0) return;
        e.preventDefault();
        onFiles(files);
      }}
    >
      {children}
    </div>
  );
}

export function AttachButton({ onFiles, disabled = false }: { onFiles: (files: File[]) => void; disabled?: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  return (
    <>
      <input
        id={id}
        ref={input}
        type="file"
        accept={IMAGE_TYPES.join(",")}
        multiple
        className="sr-only"
        tabIndex={-1}
        aria-hidden="true"
        data-testid="attach-input"
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          e.target.value = ""; // the same file can be picked again
          if (files.length) onFiles(files);
        }}
      />
      <button
        type="button"
        disabled={disabled}
        onClick={() => input.current?.click()}
        className="rounded-md border border-line px-2 py-1 text-sm hover:bg-surface-2 disabled:opacity-50"
      >
        Attach images
      </button>
    </>
  );
}

/** The drafts above the composer: previews, progress, errors, and why sending is blocked. */
export function AttachmentTray({ state, onRemove, blocker }: { state: DraftState; onRemove: (key: string) => void; blocker: string | null }) {
  if (state.items.length === 0) return null;
  return (
    <div className="space-y-1" data-testid="attachment-tray">
      <ul className="flex flex-wrap gap-2" aria-label="Images to send">
        {state.items.map((item) => (
          <li key={item.key} data-status={item.status} className="relative w-24 rounded-lg border border-line bg-surface p-1 text-xs">
            {item.preview ? (
              // eslint-disable-next-line @next/next/no-img-element -- served by the API, owner only
              <img src={item.preview} alt={item.name} className="h-16 w-full rounded object-cover" />
            ) : (
              <div aria-hidden="true" className="h-16 w-full rounded bg-surface-2" />
            )}
            <p className="truncate" title={item.name}>
              {item.name}
            </p>
            {item.status === "uploading" ? (
              <p role="status" className="text-muted">
                Uploading…
              </p>
            ) : null}
            {item.status === "failed" ? (
              <p role="alert" className="text-danger">
                {item.error}
              </p>
            ) : null}
            <button
              type="button"
              onClick={() => onRemove(item.key)}
              aria-label={`Remove ${item.name}`}
              className="absolute right-1 top-1 rounded bg-bg/90 px-1 leading-tight hover:bg-surface-2"
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      {blocker ? (
        <p role="alert" data-testid="attachment-blocker" className="text-sm text-danger">
          {blocker}
        </p>
      ) : null}
    </div>
  );
}

/** The images of a conversation, by message; re-read when its user messages change. */
export function useConversationImages(conversationId: string | null, userMessageIds: string): MessageImages {
  const [images, setImages] = useState<MessageImages>({});
  useEffect(() => {
    if (!conversationId) {
      setImages({});
      return;
    }
    let live = true;
    void api()
      .GET("/api/v1/conversations/{conversation_id}/attachments", { params: { path: { conversation_id: conversationId } } })
      .then(({ data }) => {
        if (live && data) setImages(byMessage(data.items));
      })
      .catch(() => undefined); // offline: no thumbnails, the text is still there
    return () => {
      live = false;
    };
  }, [conversationId, userMessageIds]);
  return images;
}

/** Thumbnails under a sent message; each opens the full image. */
export function MessageImagesView({ items }: { items: Attachment[] | undefined }) {
  if (!items || items.length === 0) return null;
  return (
    <ul className="flex flex-wrap justify-end gap-2" aria-label="Attached images" data-testid="message-images">
      {items.map((image) => (
        <li key={image.id}>
          <a href={image.url} target="_blank" rel="noopener" className="block rounded-lg border border-line">
            {/* eslint-disable-next-line @next/next/no-img-element -- served by the API, owner only */}
            <img src={image.url} alt={image.name || "Attached image"} width={image.width} height={image.height} loading="lazy" className="h-24 w-auto max-w-40 rounded-lg object-cover" />
          </a>
        </li>
      ))}
    </ul>
  );
}

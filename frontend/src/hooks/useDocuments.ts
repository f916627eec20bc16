"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { Citation, DocumentItem } from "@/api/types";

/** How often the list is read again while a document is still being indexed. */
export const INDEXING_POLL_MS = 1000;

/**
 * A conversation's documents (with their indexing status) and the sources its answers cite.
 *
 * The list is read when the conversation changes, again every second while a document is
 * `indexing` (so "indexing…" turns "ready" on its own), and the citations again when an answer
 * has finished (`busy` turned false).
 */
export function useDocuments(conversationId: string | null, busy: boolean) {
  const [documents, setDocuments] = useState<DocumentItem[]>([]);
  const [citations, setCitations] = useState<Citation[]>([]);
  const [uploading, setUploading] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const current = useRef(conversationId);
  current.current = conversationId;
  // Uploads answered so far: a list read that started before one was answered may predate its
  // commit, and must not replace the list the upload just filled (it is read again instead).
  const uploads = useRef(0);

  const loadDocuments = useCallback(async (id: string): Promise<void> => {
    const seen = uploads.current;
    const { data } = await api().GET("/api/v1/conversations/{conversation_id}/documents", {
      params: { path: { conversation_id: id } },
    });
    if (!data || current.current !== id) return;
    if (uploads.current !== seen) return loadDocuments(id);
    setDocuments(data.items);
  }, []);

  const loadCitations = useCallback(async (id: string) => {
    const { data } = await api().GET("/api/v1/conversations/{conversation_id}/citations", {
      params: { path: { conversation_id: id } },
    });
    if (data && current.current === id) setCitations(data.items);
  }, []);

  useEffect(() => {
    setDocuments([]);
    setCitations([]);
    setError(null);
    if (!conversationId) return;
    void loadDocuments(conversationId).catch(() => undefined);
    void loadCitations(conversationId).catch(() => undefined);
  }, [conversationId, loadDocuments, loadCitations]);

  const wasBusy = useRef(busy);
  useEffect(() => {
    if (wasBusy.current && !busy && conversationId) void loadCitations(conversationId).catch(() => undefined);
    wasBusy.current = busy;
  }, [busy, conversationId, loadCitations]);

  const indexing = documents.some((d) => d.status === "indexing");
  useEffect(() => {
    if (!conversationId || !indexing) return;
    const timer = setTimeout(() => void loadDocuments(conversationId).catch(() => undefined), INDEXING_POLL_MS);
    return () => clearTimeout(timer);
  }, [conversationId, indexing, documents, loadDocuments]);

  /** Upload into ``id`` (all files or none: the server refuses the whole message). */
  const upload = useCallback(async (id: string, files: File[]): Promise<boolean> => {
    if (!files.length) return false;
    setUploading(true);
    setError(null);
    try {
      const form = new FormData();
      form.append("conversation_id", id);
      for (const file of files) form.append("files", file, file.name);
      const { data, error: err, response } = await api().POST("/api/v1/documents", {
        body: form as unknown as { conversation_id: string },
        bodySerializer: (body: unknown) => body as BodyInit,
      });
      if (!data) {
        setError(fromResponse(response, err));
        return false;
      }
      uploads.current += 1;
      if (current.current === id) {
        // The list may have been read after the commit already: merge by id.
        setDocuments((list) => [...list.filter((d) => !data.items.some((n) => n.id === d.id)), ...data.items]);
      }
      return true;
    } catch (e) {
      setError(networkError(e));
      return false;
    } finally {
      setUploading(false);
    }
  }, []);

  const remove = useCallback(async (documentId: string) => {
    setError(null);
    try {
      const { error: err, response } = await api().DELETE("/api/v1/documents/{document_id}", {
        params: { path: { document_id: documentId } },
      });
      if (!response.ok) {
        setError(fromResponse(response, err));
        return;
      }
      setDocuments((list) => list.filter((d) => d.id !== documentId));
    } catch (e) {
      setError(networkError(e));
    }
  }, []);

  const byMessage = useMemo(() => {
    const map = new Map<string, Citation[]>();
    for (const c of citations) map.set(c.message_id, [...(map.get(c.message_id) ?? []), c]);
    return map;
  }, [citations]);

  return { documents, byMessage, uploading, error, dismissError: () => setError(null), upload, remove };
}

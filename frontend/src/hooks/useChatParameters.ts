"use client";

import { useCallback, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { components } from "@/api/schema";
import type { Conversation, Model } from "@/api/types";
import type { Presets } from "@/hooks/usePresets";
import { DEFAULTS, type ParameterValues, applyPreset as applied, switchModel } from "@/lib/parameters";

type Patch = components["schemas"]["ConversationUpdate"];

interface Options {
  conversationId: string | null;
  conversation: Conversation | null;
  setConversation: (conversation: Conversation) => void;
  /** The sidebar's copy of a conversation the server changed. */
  replace: (conversation: Conversation) => void;
  models: { selected: string | null; setSelected: (id: string) => void; byId: (id: string | null) => Model | null };
  presets: Presets;
  newPrompt: string;
  setNewPrompt: (prompt: string) => void;
}

/**
 * The open conversation's parameters (model, temperature, max tokens; the system prompt has its
 * editor), saved on the server; for a chat not made yet, kept here until its first message
 * creates it with them. The model picker and the panel change the same value.
 */
export function useChatParameters({ conversationId, conversation, setConversation, replace, models, presets, newPrompt, setNewPrompt }: Options) {
  const [newParams, setNewParams] = useState<ParameterValues>(DEFAULTS);
  const current = conversationId ? conversation : null;
  // The model a send uses: the conversation's, else the picker's (a preference kept per browser).
  const shownModel = current?.model ?? models.selected;
  const parameters: ParameterValues = current
    ? { model: shownModel, temperature: current.temperature ?? null, max_tokens: current.max_tokens ?? null, system_prompt: current.system_prompt }
    : { ...newParams, model: models.selected, system_prompt: newPrompt };

  const patch = useCallback(
    async (body: Patch): Promise<AppError | null> => {
      if (!conversationId) return null;
      try {
        const { data, error, response } = await api().PATCH("/api/v1/conversations/{conversation_id}", {
          params: { path: { conversation_id: conversationId } },
          body,
        });
        if (!data) return fromResponse(response, error);
        setConversation(data);
        replace(data);
        return null;
      } catch (e) {
        return networkError(e);
      }
    },
    [conversationId, setConversation, replace],
  );

  async function save(values: Omit<ParameterValues, "system_prompt">): Promise<AppError | null> {
    if (values.model) models.setSelected(values.model);
    if (!conversationId) {
      setNewParams((p) => ({ ...p, temperature: values.temperature, max_tokens: values.max_tokens }));
      return null;
    }
    return patch(values);
  }

  /** The header's model picker: a preference, and the open conversation's model. */
  async function pickModel(id: string): Promise<AppError | null> {
    models.setSelected(id);
    const model = models.byId(id);
    if (!conversationId || !model) return null;
    return patch(switchModel(parameters, model));
  }

  async function applyPreset(presetId: string): Promise<AppError | null> {
    if (!conversationId) {
      const preset = presets.items.find((p) => p.id === presetId);
      if (!preset) return null;
      const next = applied(parameters, preset);
      if (next.model) models.setSelected(next.model);
      setNewParams(next);
      setNewPrompt(next.system_prompt);
      return null;
    }
    try {
      const { data, error, response } = await api().POST("/api/v1/conversations/{conversation_id}/preset", {
        params: { path: { conversation_id: conversationId } },
        body: { preset_id: presetId },
      });
      if (!data) return fromResponse(response, error);
      setConversation(data);
      replace(data);
      return null;
    } catch (e) {
      return networkError(e);
    }
  }

  return { parameters, shownModel, newParams, resetNew: () => setNewParams(DEFAULTS), save, pickModel, applyPreset, patch };
}

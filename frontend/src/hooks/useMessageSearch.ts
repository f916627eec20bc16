"use client";

import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import { type SearchState, initialSearch, searchReducer } from "@/lib/messageSearch";

const SEARCH_DELAY_MS = 250;
const PAGE = 20;

export interface MessageSearch extends SearchState {
  error: AppError | null;
  loadMore: () => Promise<void>;
}

/** Messages matching the sidebar's query, by words and by meaning (debounced like the list). */
export function useMessageSearch(query: string): MessageSearch {
  const [state, dispatch] = useReducer(searchReducer, initialSearch);
  const [error, setError] = useState<AppError | null>(null);
  const [debounced, setDebounced] = useState(query.trim());
  const generation = useRef(0);

  useEffect(() => {
    const t = setTimeout(() => setDebounced(query.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(t);
  }, [query]);

  const fetchPage = useCallback(async (q: string, cursor: string | null) => {
    const mine = cursor ? generation.current : ++generation.current;
    if (!cursor) dispatch({ type: "fetching", query: q, generation: mine });
    try {
      const { data, error: err, response } = await api().GET("/api/v1/search/messages", {
        params: { query: { q, limit: PAGE, cursor: cursor ?? undefined } },
      });
      if (data) {
        dispatch({ type: "page", generation: mine, page: data, append: cursor !== null });
        if (mine === generation.current) setError(null);
      } else {
        dispatch({ type: "failed", generation: mine });
        if (mine === generation.current) setError(fromResponse(response, err));
      }
    } catch (e) {
      dispatch({ type: "failed", generation: mine });
      if (mine === generation.current) setError(networkError(e));
    }
  }, []);

  useEffect(() => {
    if (!debounced) {
      generation.current += 1;
      dispatch({ type: "cleared" });
      setError(null);
      return;
    }
    void fetchPage(debounced.slice(0, 200), null);
  }, [debounced, fetchPage]);

  const loadMore = useCallback(async () => {
    if (state.cursor && state.query) await fetchPage(state.query, state.cursor);
  }, [state.cursor, state.query, fetchPage]);

  return { ...state, error, loadMore };
}

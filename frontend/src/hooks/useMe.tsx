"use client";

import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { User } from "@/api/types";

interface MeState {
  user: User | null;
  error: AppError | null;
}

const MeContext = createContext<User | null>(null);

/** Loads the signed-in user; a missing session redirects to sign-in (client middleware). */
export function MeProvider({ children, fallback }: { children: ReactNode; fallback: ReactNode }) {
  const [state, setState] = useState<MeState>({ user: null, error: null });
  useEffect(() => {
    let live = true;
    api()
      .GET("/api/v1/auth/me")
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) setState({ user: data, error: null });
        else setState({ user: null, error: fromResponse(response, error) });
      })
      .catch((e: unknown) => live && setState({ user: null, error: networkError(e) }));
    return () => {
      live = false;
    };
  }, []);
  if (!state.user) {
    if (state.error && state.error.kind !== "auth") {
      return (
        <div role="alert" className="m-6 rounded-lg border border-danger bg-danger-soft p-4 text-danger">
          Lockgate could not load your account: {state.error.message}
        </div>
      );
    }
    return <>{fallback}</>;
  }
  return <MeContext.Provider value={state.user}>{children}</MeContext.Provider>;
}

export function useMe(): User {
  const user = useContext(MeContext);
  if (!user) throw new Error("useMe() outside <MeProvider>");
  return user;
}

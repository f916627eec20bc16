"use client";

import Link from "next/link";
import { useEffect, useId, useState, type FormEvent } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import { nextFromLocation } from "@/api/navigation";
import { ErrorBanner } from "./ErrorBanner";
import { SsoSignIn } from "./SsoSignIn";

export function AuthForm({ mode }: { mode: "login" | "register" }) {
  const id = useId();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [invite, setInvite] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const login = mode === "login";
  // An invite link (/register?invite=…) fills the code in.
  useEffect(() => {
    if (login) return;
    const code = new URLSearchParams(window.location.search).get("invite");
    if (code) setInvite(code);
  }, [login]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = login
        ? await api().POST("/api/v1/auth/login", { body: { email, password } })
        : await api().POST("/api/v1/auth/register", {
            body: { email, password, invite_code: invite.trim() || null },
          });
      if (result.data) {
        // A full load: every page starts from the new session's cookies.
        window.location.assign(nextFromLocation());
        return;
      }
      setError(fromResponse(result.response, result.error));
    } catch (e) {
      setError(networkError(e));
    }
    setBusy(false);
  }

  const title = login ? "Sign in to Lockgate" : "Create your Lockgate account";
  return (
    <main id="main" className="flex min-h-dvh items-center justify-center px-4 py-10">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center gap-2">
          {/* eslint-disable-next-line @next/next/no-img-element */}
          <img src="/favicon.svg" alt="" width={28} height={28} />
          <span className="text-lg font-semibold">Lockgate</span>
        </div>
        <h1 className="mb-4 text-2xl font-semibold">{title}</h1>
        <form onSubmit={submit} className="space-y-4" noValidate={false}>
          <div>
            <label htmlFor={`${id}-email`} className="mb-1 block text-sm font-medium">
              Email
            </label>
            <input
              id={`${id}-email`}
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              className="w-full rounded-md border border-field bg-bg px-3 py-2"
            />
          </div>
          <div>
            <label htmlFor={`${id}-password`} className="mb-1 block text-sm font-medium">
              Password
            </label>
            <input
              id={`${id}-password`}
              type="password"
              autoComplete={login ? "current-password" : "new-password"}
              required
              minLength={login ? undefined : 10}
              aria-describedby={login ? undefined : `${id}-password-hint`}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              className="w-full rounded-md border border-field bg-bg px-3 py-2"
            />
            {login ? null : (
              <p id={`${id}-password-hint`} className="mt-1 text-xs text-muted">
                At least 10 characters; not a common password.
              </p>
            )}
          </div>
          {login ? null : (
            <div>
              <label htmlFor={`${id}-invite`} className="mb-1 block text-sm font-medium">
                Invite code <span className="font-normal text-muted">(if you were given one)</span>
              </label>
              <input
                id={`${id}-invite`}
                type="text"
                autoComplete="off"
                value={invite}
                onChange={(e) => setInvite(e.target.value)}
                className="w-full rounded-md border border-field bg-bg px-3 py-2"
              />
            </div>
          )}
          {error ? <ErrorBanner error={error} /> : null}
          <button
            type="submit"
            disabled={busy}
            className="w-full rounded-md bg-accent px-3 py-2 font-medium text-accent-fg hover:bg-accent-hover disabled:opacity-60"
          >
            {busy ? (login ? "Signing in…" : "Creating account…") : login ? "Sign in" : "Create account"}
          </button>
        </form>
        {login ? <SsoSignIn /> : null}
        <p className="mt-6 text-sm text-muted">
          {login ? (
            <>
              New here?{" "}
              <Link href="/register/" className="text-fg underline">
                Create an account
              </Link>
            </>
          ) : (
            <>
              Already have an account?{" "}
              <Link href="/login/" className="text-fg underline">
                Sign in
              </Link>
            </>
          )}
        </p>
      </div>
    </main>
  );
}

"use client";

import { useEffect, useState } from "react";
import { api } from "@/api/client";
import { nextFromLocation } from "@/api/navigation";
import { ssoError, ssoErrorCode, ssoStartUrl } from "@/lib/sso";
import { ErrorBanner } from "./ErrorBanner";

interface Sso {
  name: string;
  href: string;
}

/**
 * "Sign in with <provider>" under the password form, when the server has OpenID Connect
 * configured; and the reason a single sign-on failed, when the callback sent us back here.
 * A plain link: the sign-in is a full navigation to the provider and back.
 */
export function SsoSignIn() {
  const [sso, setSso] = useState<Sso | null>(null);
  const [code, setCode] = useState<string | null>(null);

  useEffect(() => {
    setCode(ssoErrorCode(window.location.search));
    let live = true;
    api()
      .GET("/api/v1/auth/oidc")
      .then(({ data }) => {
        if (live && data?.enabled && data.login_url) {
          setSso({ name: data.display_name ?? "SSO", href: ssoStartUrl(data.login_url, nextFromLocation()) });
        }
      })
      .catch(() => undefined); // no button without an answer: the password form still works
    return () => {
      live = false;
    };
  }, []);

  if (!sso && !code) return null;
  return (
    <div className="mt-6 space-y-4">
      {code ? <ErrorBanner error={ssoError(code)} onDismiss={() => setCode(null)} /> : null}
      {sso ? (
        <>
          <div className="flex items-center gap-3 text-xs text-muted" aria-hidden="true">
            <span className="h-px flex-1 bg-line" />
            or
            <span className="h-px flex-1 bg-line" />
          </div>
          <a
            href={sso.href}
            className="block w-full rounded-md border border-field bg-bg px-3 py-2 text-center font-medium hover:bg-surface"
          >
            Sign in with {sso.name}
          </a>
        </>
      ) : null}
    </div>
  );
}

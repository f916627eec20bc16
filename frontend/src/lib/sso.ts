/**
 * Single sign-on (OpenID Connect) on the sign-in page. The server's callback cannot answer in
 * JSON (the browser arrives by a redirect from the provider), so a failed sign-in lands on
 * `/login/?oidc_error=<code>`; this module turns the stable code into what the page says.
 */
import type { AppError } from "@/api/errors";

const MESSAGES: Record<string, string> = {
  oidc_provider_unavailable: "The sign-in provider could not be reached. Try again in a moment.",
  oidc_provider_misconfigured:
    "Single sign-on is not set up correctly on this server. Tell your administrator.",
  oidc_access_denied: "Sign-in was cancelled at the provider.",
  oidc_provider_error: "The sign-in provider refused the request. Try again.",
  oidc_code_rejected: "This sign-in link was already used or has expired. Sign in again.",
  oidc_flow_expired: "The sign-in took too long or was started in another browser. Start again.",
  oidc_state_mismatch: "This sign-in answer does not belong to a sign-in started here. Start again.",
  oidc_bad_callback: "The sign-in provider's answer was incomplete. Start again.",
  oidc_invalid_id_token: "The sign-in provider's answer could not be verified. Start again.",
  oidc_email_missing: "The sign-in provider did not share your email address.",
  oidc_email_unverified: "Your email address is not verified at the sign-in provider. Verify it there first.",
  oidc_domain_not_allowed: "Accounts of your email domain cannot sign in here. Use your organisation's account.",
  oidc_account_exists: "An account with this email address already exists. Sign in with its password.",
  oidc_no_account: "There is no account for you here yet. Ask an administrator.",
  oidc_account_disabled: "This account is disabled.",
};

/** The code of a failed single sign-on in `search` (a location's query), or null. */
export function ssoErrorCode(search: string): string | null {
  const code = new URLSearchParams(search).get("oidc_error");
  return code && /^oidc_[a-z_]{1,60}$/.test(code) ? code : null;
}

/** The failure as the page's error banner shows it; unknown codes get a generic sentence. */
export function ssoError(code: string): AppError {
  return {
    kind: code === "oidc_provider_unavailable" ? "provider" : "auth",
    status: 0,
    code,
    message: MESSAGES[code] ?? "Single sign-on failed. Try again.",
    retryAfter: null,
    resetsAt: null,
  };
}

/** Where the "Sign in with …" button goes: the server's start, remembering `next`. */
export function ssoStartUrl(loginUrl: string, next: string): string {
  return next && next !== "/" ? `${loginUrl}?next=${encodeURIComponent(next)}` : loginUrl;
}

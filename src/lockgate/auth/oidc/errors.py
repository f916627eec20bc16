"""Every way an OpenID Connect sign-in can fail, each with a stable code.

The browser reaches the callback by a redirect, so these are shown on the sign-in page
(``/login?oidc_error=<code>``), not as JSON; the codes are the contract with that page::

    OIDCError
     ├── OIDCNotConfigured (404)        oidc_not_configured
     ├── ProviderUnavailable (502)      oidc_provider_unavailable, oidc_provider_misconfigured
     ├── ProviderRefused (400)          oidc_access_denied, oidc_provider_error, oidc_code_rejected
     ├── FlowInvalid (400)              oidc_flow_expired, oidc_state_mismatch, oidc_bad_callback
     ├── InvalidIdToken (401)           oidc_invalid_id_token
     └── AccountRefused (403)           oidc_email_missing, oidc_email_unverified,
                                        oidc_domain_not_allowed, oidc_account_exists,
                                        oidc_no_account, oidc_account_disabled
"""

from __future__ import annotations

from lockgate.errors import AppError


class OIDCError(AppError):
    status = 400
    code = "oidc_error"
    message = "Single sign-on failed. Try again."


class OIDCNotConfigured(OIDCError):
    status = 404
    code = "oidc_not_configured"
    message = "Single sign-on is not configured on this server."


class ProviderUnavailable(OIDCError):
    status = 502
    code = "oidc_provider_unavailable"
    message = "The sign-in provider could not be reached. Try again in a moment."


class ProviderRefused(OIDCError):
    status = 400
    code = "oidc_provider_error"
    message = "The sign-in provider refused the request."


class FlowInvalid(OIDCError):
    status = 400
    code = "oidc_flow_expired"
    message = "This sign-in expired or was started in another browser. Start again."


class InvalidIdToken(OIDCError):
    status = 401
    code = "oidc_invalid_id_token"
    message = "The sign-in provider's answer could not be verified."


class AccountRefused(OIDCError):
    status = 403
    code = "oidc_account_refused"
    message = "This account cannot sign in here."

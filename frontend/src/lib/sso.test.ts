import { describe, expect, it } from "vitest";
import { ssoError, ssoErrorCode, ssoStartUrl } from "./sso";

describe("single sign-on on the sign-in page", () => {
  it("reads the stable code the callback put in the address", () => {
    expect(ssoErrorCode("?oidc_error=oidc_domain_not_allowed")).toBe("oidc_domain_not_allowed");
    expect(ssoErrorCode("?next=%2F")).toBeNull();
  });
  it("ignores anything that is not one of its codes", () => {
    expect(ssoErrorCode("?oidc_error=<script>")).toBeNull();
    expect(ssoErrorCode("?oidc_error=session_expired")).toBeNull();
  });
  it("says what happened in words, and something sensible for an unknown code", () => {
    expect(ssoError("oidc_email_unverified").message).toMatch(/not verified/);
    expect(ssoError("oidc_provider_unavailable").kind).toBe("provider");
    expect(ssoError("oidc_new_thing").message).toBe("Single sign-on failed. Try again.");
  });
  it("keeps where the user was going", () => {
    expect(ssoStartUrl("/api/v1/auth/oidc/login", "/usage/")).toBe("/api/v1/auth/oidc/login?next=%2Fusage%2F");
    expect(ssoStartUrl("/api/v1/auth/oidc/login", "/")).toBe("/api/v1/auth/oidc/login");
  });
});

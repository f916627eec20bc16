import { describe, expect, it } from "vitest";
import type { ApiKey, ApiKeyCreated } from "@/api/types";
import { EMPTY_FORM, INITIAL_KEYS, type KeyForm, expiryInstant, fieldOfCode, keysReducer, snippetModel, snippets, sortKeys, validateKeyForm } from "./keys";

const NOW = new Date("2030-01-01T12:00:00Z");
const form = (over: Partial<KeyForm>): KeyForm => ({ ...EMPTY_FORM, name: "ci", ...over });

function created(over: Partial<ApiKeyCreated> = {}): ApiKeyCreated {
  return {
    id: "k1",
    user_id: "u1",
    name: "ci",
    prefix: "lg-abcdefg",
    key: "lg-abcdefgSECRET",
    daily_budget_usd: "5.00000000",
    monthly_budget_usd: null,
    rpm: null,
    tpm: null,
    allowed_models: null,
    expires_at: null,
    revoked_at: null,
    last_used_at: null,
    created_at: "2030-01-01T12:00:00Z",
    ...over,
  };
}

describe("the create form's rules", () => {
  it("sends only what was filled in, trimmed", () => {
    expect(validateKeyForm(form({ name: "  nightly  " }), NOW)).toEqual({ body: { name: "nightly" }, errors: {} });
  });

  it("sends every option", () => {
    const { body } = validateKeyForm(
      form({ expiry: "30", allModels: false, models: ["sim-small"], dailyBudget: "2.5", monthlyBudget: "40", rpm: "60", tpm: "100,000" }),
      NOW,
    );
    expect(body).toEqual({
      name: "ci",
      expires_at: "2030-01-31T12:00:00.000Z",
      allowed_models: ["sim-small"],
      daily_budget_usd: "2.5",
      monthly_budget_usd: "40",
      rpm: 60,
      tpm: 100000,
    });
  });

  it.each([
    [{ name: " " }, "name"],
    [{ name: "x".repeat(101) }, "name"],
    [{ allModels: false, models: [] }, "models"],
    [{ dailyBudget: "abc" }, "dailyBudget"],
    [{ dailyBudget: "0.000000001" }, "dailyBudget"],
    [{ monthlyBudget: "-1" }, "monthlyBudget"],
    [{ monthlyBudget: "100000000" }, "monthlyBudget"],
    [{ dailyBudget: "10", monthlyBudget: "5" }, "dailyBudget"],
    [{ rpm: "1.5" }, "rpm"],
    [{ rpm: "0" }, "rpm"],
    [{ tpm: "2000000000" }, "tpm"],
    [{ expiry: "custom", expiryDate: "" }, "expiry"],
    [{ expiry: "custom", expiryDate: "2029-12-30" }, "expiry"],
  ] as const)("refuses %j on the field %s, sending nothing", (over, field) => {
    const { body, errors } = validateKeyForm(form(over as Partial<KeyForm>), NOW);
    expect(body).toBeNull();
    expect(Object.keys(errors)).toEqual([field]);
  });

  it("a custom expiry lasts to the end of that local day", () => {
    const iso = expiryInstant(form({ expiry: "custom", expiryDate: "2030-02-01" }), NOW);
    expect(new Date(iso as string).getTime()).toBe(new Date(2030, 1, 2).getTime());
    expect(expiryInstant(form({ expiry: "never" }), NOW)).toBeNull();
  });

  it("maps the server's codes to their fields", () => {
    expect(["unknown_model", "no_allowed_models", "expiry_in_past", "daily_budget_above_monthly", "too_many_keys"].map(fieldOfCode)).toEqual([
      "models",
      "models",
      "expiry",
      "dailyBudget",
      null,
    ]);
  });
});

describe("the keys list reducer", () => {
  it("puts a created key first, without its secret, and holds the secret aside", () => {
    const loaded = keysReducer(INITIAL_KEYS, { type: "loaded", keys: [] });
    const next = keysReducer(loaded, { type: "created", key: created(), now: NOW.toISOString() });
    expect(next.fresh?.key).toBe("lg-abcdefgSECRET");
    expect(next.keys?.[0]).toMatchObject({ id: "k1", status: "active", spend: { today_usd: "0", daily_remaining_usd: "5.00000000" } });
    expect(JSON.stringify(next.keys)).not.toContain("SECRET");
    expect(keysReducer(next, { type: "dismissSecret" }).fresh).toBeNull();
  });

  it("marks a revoked key, and forgets its secret", () => {
    const state = keysReducer(INITIAL_KEYS, { type: "created", key: created(), now: NOW.toISOString() });
    const next = keysReducer(state, { type: "revoked", id: "k1", revokedAt: "2030-01-01T13:00:00Z" });
    expect(next.keys?.[0]).toMatchObject({ status: "revoked", revoked_at: "2030-01-01T13:00:00Z" });
    expect(next.fresh).toBeNull();
  });

  it("sorts active keys first, newest first", () => {
    const key = (id: string, status: ApiKey["status"], created_at: string) => ({ ...keysReducer(INITIAL_KEYS, { type: "created", key: created({ id, created_at }), now: "" }).keys![0]!, status });
    const sorted = sortKeys([key("a", "revoked", "2030-01-03"), key("b", "active", "2030-01-01"), key("c", "expired", "2030-01-04"), key("d", "active", "2030-01-02")]);
    expect(sorted.map((k) => k.id)).toEqual(["d", "b", "c", "a"]);
  });
});

describe("snippets", () => {
  const code = snippets("https://ai.example.com/", "lg-KEY'x", "sim-small");

  it("call the server's /v1 with the key, in each language", () => {
    expect(code.curl).toContain("'https://ai.example.com/v1/chat/completions'");
    expect(code.curl).toContain(`-H 'Authorization: Bearer lg-KEY'\\''x'`);
    expect(code.python).toContain('base_url="https://ai.example.com/v1", api_key="lg-KEY\'x"');
    expect(code.node).toContain('baseURL: "https://ai.example.com/v1", apiKey: "lg-KEY\'x"');
    for (const text of Object.values(code)) expect(text).toContain("sim-small");
  });

  it("use a model the key may call", () => {
    const models = [{ id: "a" }, { id: "b", default: true }, { id: "c" }];
    expect(snippetModel(null, models)).toBe("b");
    expect(snippetModel(["c"], models)).toBe("c");
    expect(snippetModel(["img"], models)).toBe("img");
  });
});

import { describe, expect, it } from "vitest";
import type { Model } from "@/api/types";
import { type ParameterValues, type Preset, applyPreset, changed, check, formFrom, formReducer, summary, switchModel } from "./parameters";

const model = (over: Partial<Model> = {}): Model =>
  ({ id: "sim-small", label: "Simulated small", max_output_tokens: 2048, context_window: 8192, default: true, ...over }) as Model;

const saved: ParameterValues = { model: "sim-small", temperature: 0.5, max_tokens: null, system_prompt: "Be brief." };

describe("parameters form", () => {
  it("keeps what was typed and reads empty fields as the server's default", () => {
    let form = formFrom(saved);
    expect([form.model, form.temperature, form.maxTokens]).toEqual(["sim-small", "0.5", ""]);
    form = formReducer(form, { type: "temperature", value: "" });
    form = formReducer(form, { type: "maxTokens", value: "300" });
    expect(check(form, model()).values).toEqual({ model: "sim-small", temperature: null, max_tokens: 300 });
  });

  it.each([["2.01"], ["-0.1"], ["hot"]])("refuses temperature %s with a sentence", (value) => {
    const form = formReducer(formFrom(saved), { type: "temperature", value });
    const result = check(form, model());
    expect(result.values).toBeNull();
    expect(result.errors.temperature).toMatch(/from 0 to 2/);
  });

  it("refuses max tokens over the chosen model's limit, naming it", () => {
    const form = formReducer(formFrom(saved), { type: "maxTokens", value: "2049" });
    expect(check(form, model()).errors.maxTokens).toBe("Simulated small writes at most 2048 tokens per answer.");
    expect(check(formReducer(form, { type: "maxTokens", value: "1.5" }), model()).errors.maxTokens).toMatch(/whole number/);
  });

  it("knows when the form differs from what was saved; defaults clears every field", () => {
    const form = formFrom(saved);
    expect(changed(form)).toBe(false);
    const cleared = formReducer(form, { type: "defaults" });
    expect(changed(cleared)).toBe(true);
    expect(check(cleared, model()).values).toEqual({ model: null, temperature: null, max_tokens: null });
  });

  it("switching to a model that writes less resets max tokens to the default", () => {
    const values = { ...saved, max_tokens: 4000 };
    expect(switchModel(values, model({ id: "small", max_output_tokens: 1000 }))).toEqual({ model: "small", max_tokens: null });
    expect(switchModel(values, model({ id: "large", max_output_tokens: 4096 }))).toEqual({ model: "large" });
  });

  it("a preset without a model keeps the chat's model and sets everything else", () => {
    const preset = { id: "p", name: "Terse", model: null, temperature: 0.1, max_tokens: null, system_prompt: "Terse." } as Preset;
    expect(applyPreset({ ...saved, max_tokens: 99 }, preset)).toEqual({ model: "sim-small", temperature: 0.1, max_tokens: null, system_prompt: "Terse." });
  });

  it("summarises the parameters that are not the default", () => {
    expect(summary({ ...saved, max_tokens: 500 })).toBe("temperature 0.5 · max 500 tokens");
    expect(summary({ model: null, temperature: null, max_tokens: null, system_prompt: "" })).toBe("");
  });
});

import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Model } from "@/api/types";
import type { Presets } from "@/hooks/usePresets";
import type { ParameterValues, Preset } from "@/lib/parameters";
import { ParametersPanel } from "./ParametersPanel";

const price = { input_per_mtok: "0.15", output_per_mtok: "0.6", per_image: "0" };
const models = [
  { id: "sim-small", label: "Simulated small", max_output_tokens: 2048, context_window: 8192, default: true, price },
  { id: "sim-large", label: "Simulated large", max_output_tokens: 4096, context_window: 32768, default: false, price },
] as Model[];
const values: ParameterValues = { model: "sim-small", temperature: null, max_tokens: null, system_prompt: "Be brief." };

function setup(presetItems: Preset[] = []) {
  const presets: Presets = { items: presetItems, error: null, create: vi.fn(async () => null), remove: vi.fn(async () => null) };
  const onSave = vi.fn(async () => null);
  const onApply = vi.fn(async () => null);
  render(<ParametersPanel values={values} models={models} presets={presets} onSave={onSave} onApply={onApply} onClose={vi.fn()} />);
  return { presets, onSave, onApply };
}

describe("ParametersPanel", () => {
  it("saves the model, temperature and max tokens together", async () => {
    const { onSave } = setup();
    const save = screen.getByRole("button", { name: "Save parameters" });
    expect(save).toBeDisabled(); // nothing changed yet
    await userEvent.selectOptions(screen.getByLabelText("Model"), "sim-large");
    await userEvent.type(screen.getByLabelText("Temperature"), "0.3");
    await userEvent.type(screen.getByLabelText("Max output tokens"), "3000");
    await userEvent.click(save);
    expect(onSave).toHaveBeenCalledWith({ model: "sim-large", temperature: 0.3, max_tokens: 3000 });
    expect(await screen.findByText("Parameters saved.")).toBeInTheDocument();
  });

  it("explains a value out of range at the field and does not save", async () => {
    const { onSave } = setup();
    const tokens = screen.getByLabelText("Max output tokens");
    await userEvent.type(tokens, "3000"); // sim-small writes at most 2048
    expect(tokens).toHaveAttribute("aria-invalid", "true");
    expect(tokens).toHaveAccessibleDescription("Simulated small writes at most 2048 tokens per answer.");
    expect(screen.getByRole("button", { name: "Save parameters" })).toBeDisabled();
    expect(onSave).not.toHaveBeenCalled();
  });

  it("saves the current parameters and system prompt as a named preset", async () => {
    const { presets } = setup();
    await userEvent.type(screen.getByLabelText("New preset name"), "Brief{Enter}");
    expect(presets.create).toHaveBeenCalledWith({ name: "Brief", ...values });
  });

  it("applies and deletes the chosen preset", async () => {
    const items = [
      { id: "p1", name: "Coder", model: "sim-large", temperature: 0.2, max_tokens: null, system_prompt: "", created_at: "", updated_at: "" },
      { id: "p2", name: "Poet", model: null, temperature: 1.5, max_tokens: null, system_prompt: "Rhyme.", created_at: "", updated_at: "" },
    ];
    const { onApply, presets } = setup(items);
    await userEvent.selectOptions(screen.getByLabelText("Saved preset"), "Poet");
    await userEvent.click(screen.getByRole("button", { name: "Apply preset" }));
    expect(onApply).toHaveBeenCalledWith("p2");
    expect(await screen.findByText("Applied “Poet”.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Delete preset" }));
    expect(presets.remove).toHaveBeenCalledWith("p2");
  });
});

import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ChatFallback } from "@/api/chatEvents";
import { message } from "@/test/factories";
import { AssistantMessage } from "./MessageView";

const fallback: ChatFallback = { from_provider: "alpha", from_model: "main", to_provider: "beta", to_model: "backup", reason: "provider_unavailable" };

function show(reply = message({ role: "assistant", status: "complete", content: "Hi", provider: "beta", model: "backup" }), note: ChatFallback | null = fallback) {
  render(
    <AssistantMessage
      turn={{ user: null, shown: reply }}
      streaming={false}
      fallback={note}
      model={null}
      canRegenerate={false}
      onRegenerate={() => {}}
      onSwitch={() => {}}
    />,
  );
}

describe("AssistantMessage: a fallback", () => {
  it("says who answered and who was unavailable", () => {
    show();
    expect(screen.getByTestId("message-fallback")).toHaveTextContent("fallback answered by beta/backup because alpha/main was unavailable (provider_unavailable)");
  });

  it("is said while the answer is still streaming", () => {
    show(message({ role: "assistant", status: "streaming", content: "", provider: null, model: null }));
    expect(screen.getByTestId("message-fallback")).toBeVisible();
  });

  it("badges the provider that answered, naming the unavailable one", () => {
    show();
    expect(screen.getByTestId("message-provider")).toHaveTextContent(/via beta\s*fallback/);
    expect(screen.getByTitle("alpha/main was unavailable")).toBeInTheDocument();
  });

  it("says nothing when the primary answered", () => {
    show(undefined, null);
    expect(screen.queryByTestId("message-fallback")).toBeNull();
    expect(screen.getByTestId("message-provider")).toHaveTextContent("via beta");
    expect(screen.getByTestId("message-provider")).not.toHaveTextContent("fallback");
  });
});

describe("AssistantMessage: an answer from the response cache", () => {
  it("carries a cached badge", () => {
    show(message({ role: "assistant", status: "complete", content: "Paris.", provider: "beta", model: "backup", cached: true, cost_usd: "0" }), null);
    expect(screen.getByTestId("message-cached")).toHaveTextContent("cached");
    expect(screen.getByTitle("Answered from the response cache: no provider was paid for it")).toBeInTheDocument();
  });

  it("has none when a provider answered", () => {
    show(message({ role: "assistant", status: "complete", content: "Paris.", provider: "beta", model: "backup" }), null);
    expect(screen.queryByTestId("message-cached")).toBeNull();
  });
});

import { Suspense } from "react";
import { ChatApp } from "@/components/chat/ChatApp";

export default function ChatPage() {
  return (
    <Suspense fallback={<div className="flex min-h-dvh items-center justify-center text-muted">Loading…</div>}>
      <ChatApp />
    </Suspense>
  );
}

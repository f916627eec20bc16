import type { Metadata } from "next";
import { SharedConversation } from "@/components/transfer/SharedConversation";

export const metadata: Metadata = {
  title: "Shared conversation",
  robots: { index: false, follow: false },
  referrer: "no-referrer",
};

export default function SharePage() {
  return <SharedConversation />;
}

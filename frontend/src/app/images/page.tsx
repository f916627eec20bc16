import type { Metadata } from "next";
import { ImagesApp } from "@/components/ImagesApp";

export const metadata: Metadata = { title: "Images" };

export default function ImagesPage() {
  return <ImagesApp />;
}

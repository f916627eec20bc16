/**
 * The composer's images as a pure reducer: each file picked, pasted or dropped is a draft that
 * is uploaded at once (`uploading` → `ready`, or `failed` with the server's reason), shown as a
 * preview with a remove button, and sent with the message by id. The server decides what an
 * image is (its bytes, not its name); the checks here only spare a doomed upload.
 */
import type { AppError } from "@/api/errors";
import type { Attachment } from "@/api/types";

export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;
/** At most this many images in one message (the server's LOCKGATE_MAX_IMAGES_PER_REQUEST default). */
export const MAX_IMAGES = 20;

export type DraftStatus = "uploading" | "ready" | "failed";

export interface DraftImage {
  /** Local id (the server's id is only known once uploaded). */
  key: string;
  name: string;
  /**
   * The preview's source: the uploaded image as the server serves it (owner only); empty until
   * then. Not an object URL of the local file: the app's CSP (connect-src 'self') blocks the
   * browser's reads of blob: URLs.
   */
  preview: string;
  status: DraftStatus;
  attachment: Attachment | null;
  error: string | null;
}

export interface DraftState {
  items: DraftImage[];
}

export type DraftAction =
  | { type: "added"; key: string; name: string; preview: string }
  | { type: "refused"; key: string; name: string; preview: string; error: string }
  | { type: "uploaded"; key: string; attachment: Attachment }
  | { type: "failed"; key: string; error: string }
  | { type: "removed"; key: string }
  | { type: "cleared" };

export const initialDrafts: DraftState = { items: [] };

function change(state: DraftState, key: string, patch: Partial<DraftImage>): DraftState {
  return { items: state.items.map((item) => (item.key === key ? { ...item, ...patch } : item)) };
}

export function draftsReducer(state: DraftState, action: DraftAction): DraftState {
  switch (action.type) {
    case "added":
      return {
        items: [...state.items, { key: action.key, name: action.name, preview: action.preview, status: "uploading", attachment: null, error: null }],
      };
    case "refused":
      return {
        items: [...state.items, { key: action.key, name: action.name, preview: action.preview, status: "failed", attachment: null, error: action.error }],
      };
    case "uploaded":
      // Removed while it was uploading: the late answer is ignored (the caller deletes it).
      return state.items.some((i) => i.key === action.key)
        ? change(state, action.key, { status: "ready", attachment: action.attachment, preview: action.attachment.url })
        : state;
    case "failed":
      return change(state, action.key, { status: "failed", error: action.error });
    case "removed":
      return { items: state.items.filter((item) => item.key !== action.key) };
    case "cleared":
      return initialDrafts;
  }
}

/** The ids to send, in order; only uploaded images count. */
export function readyIds(state: DraftState): string[] {
  return state.items.flatMap((item) => (item.status === "ready" && item.attachment ? [item.attachment.id] : []));
}

export function isUploading(state: DraftState): boolean {
  return state.items.some((item) => item.status === "uploading");
}

/** Why a file is not even uploaded (null: upload it). */
export function precheck(file: { type: string; size: number }, count: number, maxBytes: number | null = null): string | null {
  if (!(IMAGE_TYPES as readonly string[]).includes(file.type)) return "Only PNG, JPEG, GIF and WebP images can be attached.";
  if (file.size === 0) return "The file is empty.";
  if (maxBytes !== null && file.size > maxBytes) return `The image is over ${Math.floor(maxBytes / (1024 * 1024))} MB.`;
  if (count >= MAX_IMAGES) return `At most ${MAX_IMAGES} images per message.`;
  return null;
}

/** The sentence shown next to a failed upload: the server's own message, or a network note. */
export function uploadError(error: AppError): string {
  return error.message || "The upload failed.";
}

/**
 * Why the message cannot be sent as it is (null: it can): an image still uploading, or a model
 * that cannot see images (said before sending, not after the server refuses).
 */
export function sendBlocker(state: DraftState, vision: boolean | null, modelLabel: string): string | null {
  if (state.items.length === 0) return null;
  if (vision === false) return `${modelLabel} cannot see images. Choose a model that can, or remove the images.`;
  if (isUploading(state)) return "Wait for the images to finish uploading.";
  return null;
}

/** The images of a conversation's messages, by message id (GET /conversations/{id}/attachments). */
export type MessageImages = Record<string, Attachment[]>;

export function byMessage(items: { message_id: string; attachments: Attachment[] }[] = []): MessageImages {
  return Object.fromEntries(items.map((item) => [item.message_id, item.attachments]));
}

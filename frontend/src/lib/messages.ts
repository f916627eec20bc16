/**
 * The UI's text, in one place, ready for translation.
 *
 * Components import `msg` and read a key (`msg.theme.label`) or call a formatter
 * (`msg.code.language("python")`) instead of writing English inline. A translation is another
 * object of the same `Messages` type, chosen where `msg` is defined (the type makes a missing
 * key a compile error, not an English string left behind).
 *
 * Moved so far: the answer renderer (code blocks, math, diagrams, task lists), the theme
 * toggle, the keyboard shortcuts and their help, the prompt library and the `/` menu. The
 * remaining components still hold their own strings; they move here one file at a time, by
 * the same pattern, without changing what they say (the e2e tests find elements by that text).
 */
const en = {
  code: {
    fallbackLanguage: "code",
    copy: "Copy code",
    copied: "Copied",
    copyFailed: "Copy failed",
    wrap: "Wrap lines",
    language: (lang: string) => `Language: ${lang}`,
    region: (lang: string) => `Code (${lang})`,
  },
  math: {
    invalid: "This formula could not be rendered; it is shown as written.",
  },
  diagram: {
    loading: "Drawing the diagram…",
    alt: (kind: string) => `Diagram (${kind})`,
    altUnknown: "Diagram",
    source: "Diagram source",
    failed: "This diagram could not be drawn; its source is shown instead.",
    tooLarge: (max: number) => `This diagram is too large to draw (over ${max.toLocaleString("en")} characters); its source is shown instead.`,
  },
  tasks: {
    label: (text: string) => (text ? `Task: ${text}` : "Task"),
  },
  theme: {
    label: "Theme",
    system: "System",
    light: "Light",
    dark: "Dark",
  },
  shortcuts: {
    title: "Keyboard shortcuts",
    open: "Keyboard shortcuts",
    close: "Close",
    intro: "Shortcuts work anywhere on the chat page unless noted.",
    newChat: "New chat",
    search: "Search conversations",
    focusComposer: "Focus the message box",
    stop: "Stop the answer being written",
    copyLast: "Copy the last answer",
    help: "Show this help",
    promptMenu: "Insert a saved prompt (in an empty message box)",
    or: "or",
    copiedLast: "Last answer copied.",
    nothingToCopy: "There is no answer to copy yet.",
    copyFailed: "The answer could not be copied.",
  },
  prompts: {
    page: "Prompts",
    pageSub: "Saved prompts. Type / in an empty message box to insert one.",
    title: "Title",
    content: "Prompt",
    add: "Save prompt",
    save: "Save changes",
    cancel: "Cancel",
    edit: "Edit",
    remove: "Delete",
    confirmRemove: (title: string) => `Delete the prompt “${title}”?`,
    empty: "No saved prompts yet.",
    count: (n: number, max: number) => `${n} of ${max} prompts`,
    menuLabel: "Saved prompts",
    menuEmpty: "No saved prompt matches.",
    menuNone: "No saved prompts yet.",
    menuManage: "Manage prompts",
    menuHint: "↑ ↓ to choose, Enter to insert, Esc to close",
    listLabel: "Your prompts",
  },
  search: {
    heading: "Messages",
    searching: "Searching messages…",
    none: "No message matches.",
    byMeaning: "by meaning",
    archived: "archived",
    you: "You",
    answer: "Answer",
    meaningUnavailable: "Search by meaning is unavailable right now; these match your words only.",
    more: "More messages",
    hitLabel: (title: string) => `Open the message in “${title || "Untitled"}”`,
  },
};

export type Messages = typeof en;

/** The active messages (English; a translation is another `Messages` chosen here). */
export const msg: Messages = en;

"""Export and import of conversations: Lockgate JSON, Markdown, ChatGPT's conversations.json."""

"""Streaming chat: persist, call the provider, stream and save the reply, stop, re-attach."""

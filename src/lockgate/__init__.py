"""Lockgate: a self-hosted AI chat service and OpenAI-compatible gateway."""

__version__ = "0.1.0"

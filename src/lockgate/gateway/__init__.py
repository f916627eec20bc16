"""The OpenAI-compatible ``/v1`` API, authenticated by virtual keys, through the gate."""

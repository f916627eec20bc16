"""OpenAI's Responses API at ``/v1/responses`` (see service.py)."""

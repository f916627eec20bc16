"""Images in messages, on every endpoint: reading them (never fetching one) and bounding them."""

"""Generated images: ask a provider, store the files, serve them back to their owner only."""

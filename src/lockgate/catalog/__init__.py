"""The console's providers and models: the configured models with their prices and where each
price comes from, and a health check per provider (admins)."""

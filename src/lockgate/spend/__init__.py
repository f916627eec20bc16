"""Spend for admins: by user, key, model, provider or day over any period; top spenders; CSV."""

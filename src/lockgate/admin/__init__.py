"""The admin console's user administration: list, invite, role, disable, limit overrides."""

"""Database engine, session factory, base model and migrations."""

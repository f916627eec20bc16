"""The gate: budgets, rate limits and circuit breakers in front of every provider call."""

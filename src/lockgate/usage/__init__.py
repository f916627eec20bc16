"""The usage ledger: every provider call's tokens, cost and outcome, and spend reports."""

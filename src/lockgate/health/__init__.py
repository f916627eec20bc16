"""Liveness and readiness (providers' health arrives with the gate)."""

"""Logs now; metrics, traces and error reporting arrive with the observability issue."""

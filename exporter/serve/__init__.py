"""Serving: /metrics, the status page, health and reload endpoints."""

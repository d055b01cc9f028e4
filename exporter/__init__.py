"""Prometheus exporter for Atlassian license usage."""

__version__ = "0.1.0"

"""Configuration: the YAML schema, its loader, and the targets resolved from it."""

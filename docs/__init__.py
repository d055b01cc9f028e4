"""Generated reference documentation: `python -m docs [--check]`."""

"""Grafana dashboards and Prometheus rules for the Atlassian license exporter, as code.

`python -m dashboards` renders them into dashboards/generated/; `--check` fails when the
committed files differ from what the code generates.
"""

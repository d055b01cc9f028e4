"""`python -m dashboards [--check]`: render or verify dashboards/generated/ (provisioning form
and rules), dashboards/export/ (the dashboards' grafana.com export form) and the PrometheusRule
in deploy/kubernetes/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .render import (
    EXPORT_DIR,
    GENERATED_DIR,
    KUBERNETES_DIR,
    outdated,
    render_exports,
    render_kubernetes,
    write_all,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboards", description=__doc__)
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if a generated file differs from what the code generates; write nothing",
    )
    parser.add_argument(
        "--dir", type=Path, default=GENERATED_DIR, help="output directory (default: %(default)s)"
    )
    parser.add_argument(
        "--kubernetes-dir",
        type=Path,
        default=KUBERNETES_DIR,
        help="where the PrometheusRule goes (default: %(default)s)",
    )
    parser.add_argument(
        "--export-dir",
        type=Path,
        default=EXPORT_DIR,
        help="where the dashboards' export form goes (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    others = [(args.export_dir, render_exports()), (args.kubernetes_dir, render_kubernetes())]
    if args.check:
        stale = outdated(args.dir)
        for directory, files in others:
            stale += outdated(directory, files)
        for path in stale:
            print(f"{path} is out of date; run `python -m dashboards`", file=sys.stderr)
        return 1 if stale else 0
    written = write_all(args.dir)
    for directory, files in others:
        written += write_all(directory, files)
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

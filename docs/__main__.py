"""`python -m docs [--check]`: rewrite or verify docs/configuration.md and README's metrics."""

from __future__ import annotations

import argparse
import sys

from .reference import outdated, render_all, stale_descriptions, undocumented


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docs", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if a document is stale")
    args = parser.parse_args(argv)
    problems = [f"configuration key {k} has no description" for k in undocumented()]
    problems += [f"DESCRIPTIONS names {k}, which no model has" for k in stale_descriptions()]
    for problem in problems:
        print(f"{problem}: edit docs/descriptions.py", file=sys.stderr)
    if args.check:
        stale = outdated()
        for path in stale:
            print(f"{path} is out of date; run `python -m docs`", file=sys.stderr)
        return 1 if stale or problems else 0
    for path, text in render_all().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

from __future__ import annotations

import argparse

import pytest

from exporter.sync.shard import Shard, parse_shard, select
from tests.factories import app_dict, make_targets


def test_every_application_is_in_exactly_one_shard() -> None:
    names = [f"app-{i:04d}" for i in range(3000)]
    owners = [[s for s in range(3) if Shard(s, 3).owns(n)] for n in names]
    assert all(len(o) == 1 for o in owners)
    sizes = [sum(1 for o in owners if o == [s]) for s in range(3)]
    assert all(900 < size < 1100 for size in sizes), sizes  # roughly even


def test_ownership_is_stable_across_processes_and_releases() -> None:
    # Pinned values: a change of the hash would move applications between running replicas.
    owners = {
        n: [i for i in range(3) if Shard(i, 3).owns(n)]
        for n in ("jira-prod", "confluence-prod", "bitbucket-prod")
    }
    assert owners == {"jira-prod": [1], "confluence-prod": [1], "bitbucket-prod": [2]}
    assert Shard(0, 1).owns("anything")


def test_select_filters_applications() -> None:
    config = make_targets(*(app_dict(f"a{i}") for i in range(20)))
    parts = [select(config, Shard(i, 2)).targets for i in range(2)]
    assert sorted(a.name for p in parts for a in p) == sorted(a.name for a in config.targets)
    assert select(config, None) is config


@pytest.mark.parametrize("bad", ["3/3", "1", "a/b", "-1/2", "1/0", ""])
def test_bad_shard_values(bad: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="is not i/n"):
        parse_shard(bad)


def test_good_shard_value() -> None:
    assert parse_shard("2/3") == Shard(2, 3)

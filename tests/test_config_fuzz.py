"""Fuzzing the config loader: whatever the YAML, the result is a Config or a clean ConfigError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.config.load import Config, ConfigError, load_config, parse_config

KEYS = [
    "global",
    "applications",
    "name",
    "type",
    "link",
    "url",
    "sync_interval",
    "timeout",
    "basic_auth",
    "username",
    "password",
    "password_file",
    "authorization",
    "credentials",
    "credentials_file",
    "tls_config",
    "ca_file",
    "insecure_skip_verify",
    "body_size_limit",
    "max_concurrent_syncs",
    "jira",
    "confluence",
    "bitbucket",
    "x",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "5m",
            "30s",
            "0s",
            "1h30m",
            "-1s",
            "http://j",
            "https://u:p@h",
            "http://[::1",
            "jira",
            "10MiB",
            "/nonexistent",
            "",
            "1e309",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.sampled_from(KEYS), children, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_random_structures_give_config_or_config_error(data: Any) -> None:
    try:
        assert isinstance(parse_config(data), Config)
    except ConfigError as exc:
        assert exc.problems and all(": " in p for p in exc.problems)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "name": scalars,
            "type": st.sampled_from(["jira", "confluence", "bitbucket", "crowd", 3]),
            "sync_interval": scalars,
            "link": st.fixed_dictionaries(
                {"url": scalars},
                optional={
                    "basic_auth": values,
                    "authorization": values,
                    "tls_config": values,
                    "timeout": scalars,
                },
            ),
        }
    )
)
def test_random_applications_give_config_or_config_error(app: dict[str, Any]) -> None:
    try:
        parse_config({"applications": [app]})
    except ConfigError as exc:
        assert all(p.startswith(("applications[0]", "(top level)")) for p in exc.problems), (
            exc.problems
        )


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=200))
def test_random_text_files_give_config_or_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(text.encode("utf-8", errors="replace"))
    try:
        load_config(path)
    except ConfigError as exc:
        assert exc.problems


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values)
def test_random_yaml_documents_round_trip_through_the_file_loader(
    tmp_path: Path, data: Any
) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(data))
    try:
        load_config(path)
    except ConfigError as exc:
        assert exc.problems

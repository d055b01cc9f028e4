from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter

from exporter.config.durations import ByteSize, Duration, format_duration
from exporter.config.load import Config, ConfigError, load_config, parse_config
from exporter.config.targets import resolve

ISSUE_EXAMPLE = """
global:
  sync_interval: 5m
  timeout: 30s
applications:
  - name: jira-prod
    type: jira
    sync_interval: 1m
    link:
      url: https://jira.example.com/jira
      basic_auth: {username: monitor, password: secret}
"""


def app(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "jira-prod",
        "type": "jira",
        "link": {"url": "https://jira.example.com/jira"},
    }
    link = over.pop("link", None)
    base.update(over)
    if link is not None:
        base["link"] = {**base["link"], **link}
    return base


def test_the_documented_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(ISSUE_EXAMPLE)
    config = load_config(path)
    (jira,) = config.applications
    assert (jira.name, jira.type, jira.link.url) == (
        "jira-prod",
        "jira",
        "https://jira.example.com/jira",
    )
    (target,) = resolve(config).targets
    assert target.interval == 60 and target.timeout == 30
    assert jira.link.basic_auth is not None
    assert jira.link.basic_auth.password is not None
    assert jira.link.basic_auth.password.get_secret_value() == "secret"
    assert "secret" not in repr(config)


def test_config_example_yaml_loads() -> None:
    path = Path(__file__).parents[1] / "config.example.yaml"
    data = yaml.safe_load(path.read_text())
    # The example names secret files that exist only in a deployment: check the schema alone.
    config = Config.model_validate(data)
    assert {a.type for a in config.applications} == {
        "jira",
        "confluence",
        "bitbucket",
        "crowd",
        "jira-cloud",
    }
    jira, confluence = (a for a in config.applications if a.type == "crowd")
    assert jira.link == confluence.link  # one link through a YAML anchor


def test_defaults() -> None:
    config = parse_config({"applications": [app()]})
    assert config.global_.sync_interval == 300 and config.global_.timeout == 30
    assert config.global_.body_size_limit == 10 * 2**20
    assert config.global_.max_concurrent_syncs == 16
    assert config.applications[0].link.tls_config.insecure_skip_verify is False
    assert config.global_.users_sync_interval == 3600
    assert resolve(config).targets[0].users is None  # jira has no user scan
    (target,) = resolve(parse_config({"applications": [app(type="bitbucket")]})).targets
    assert target.users is not None and target.users.interval == 3600
    assert target.users.settings.periods == (
        ("30d", 30 * 86400),
        ("90d", 90 * 86400),
        ("180d", 180 * 86400),
    )
    assert target.users.settings.detail_after is None


CROWD_EXAMPLE = """
global:
  user_detail: {inactive_for: 180d, max_users: 20}
applications:
  - name: jira-prod
    type: crowd
    crowd_application_id: 3          # Crowd's numeric id of the application
    crowd_application_type: jira     # jira | confluence | bitbucket
    link: &crowd {url: https://crowd.example.com/crowd, basic_auth: {username: admin, password: pw}}
  - name: confluence-prod
    type: crowd
    crowd_application_id: 5
    crowd_application_type: confluence
    users_sync_interval: 6h
    inactive_periods: [60d, 1y]
    user_detail: {max_users: 0}
    link: *crowd
  - name: cloud
    type: jira-cloud
    link: {url: https://example.atlassian.net, basic_auth: {username: me@example.com, password: t}}
"""


def test_crowd_entries_share_one_link_through_a_yaml_anchor(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(CROWD_EXAMPLE)
    config = load_config(path)
    jira, confluence, cloud = config.applications
    assert jira.link == confluence.link and jira.link.url == "https://crowd.example.com/crowd"
    assert (jira.crowd_application_id, jira.crowd_application_type) == (3, "jira")
    assert (confluence.crowd_application_id, confluence.crowd_application_type) == (5, "confluence")
    scans = [target.users for target in resolve(config).targets]
    assert scans[0] is not None and scans[1] is not None and scans[2] is None  # cloud: no scan
    assert (scans[0].interval, scans[1].interval) == (3600, 6 * 3600)
    assert [label for label, _ in scans[0].settings.periods] == ["30d", "90d", "180d"]
    assert [label for label, _ in scans[1].settings.periods] == ["60d", "1y"]
    assert (scans[0].settings.detail_after, scans[0].settings.detail_max) == (180 * 86400, 20)
    assert scans[1].settings.detail_after is None  # max_users 0 switches it off
    assert cloud.type == "jira-cloud" and not hasattr(cloud, "crowd_application_id")


def test_relative_file_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    """Also through an anchor shared by two entries; an absolute path and an entry naming no
    file stay as they are."""
    (tmp_path / "conf").mkdir()
    for name in ("pw", "ca.pem"):
        (tmp_path / "conf" / name).write_text("x")
    absolute = tmp_path / "abs-pw"
    absolute.write_text("x")
    path = tmp_path / "conf" / "config.yaml"
    path.write_text(
        "applications:\n"
        "  - {name: a, type: jira, link: {url: 'https://a', tls_config: &tls {ca_file: ca.pem},"
        " basic_auth: {username: u, password_file: pw}}}\n"
        "  - {name: b, type: jira, link: {url: 'https://b', tls_config: *tls}}\n"
        f"  - {{name: c, type: jira, link: {{url: 'https://c', basic_auth: {{username: u,"
        f" password_file: {absolute}}}}}}}\n"
        "  - {name: d, type: jira, link: {url: 'https://d'}}\n"
    )
    a, b, c, d = load_config(path).applications
    assert a.link.basic_auth is not None and c.link.basic_auth is not None
    assert a.link.basic_auth.password_file == tmp_path / "conf" / "pw"
    assert a.link.tls_config.ca_file == b.link.tls_config.ca_file == tmp_path / "conf" / "ca.pem"
    assert c.link.basic_auth.password_file == absolute
    assert d.link.tls_config.ca_file is None and d.link.basic_auth is None


def test_targets_share_equal_settings() -> None:
    """One object per distinct resolved setting (issue #15: 3.5 MiB at 10,000 applications),
    and an application with settings of its own keeps them."""
    config = parse_config(
        {
            "global": {"labels": {"team": "tools"}},
            "applications": [
                app(name="a", type="confluence"),
                app(name="b", type="confluence"),
                app(name="c", type="confluence", labels={"team": "other"}, inactive_periods=["7d"]),
            ],
        }
    )
    a, b, c = resolve(config).targets
    assert a.users is not None and b.users is not None and c.users is not None
    assert a.users is b.users and a.labels is b.labels
    assert c.users != a.users and c.labels == (("team", "other"),)
    assert [label for label, _ in c.users.settings.periods] == ["7d"]


def test_models_share_their_sets_of_given_fields_and_stay_the_same() -> None:
    """config.compact (issue #15): equal sets of given fields are one object; the models still
    compare, dump and copy as before."""
    data = {"applications": [app(name="a"), app(name="b"), app(name="c", sync_interval="2m")]}
    config = parse_config(data)
    a, b, c = config.applications
    assert a.__pydantic_fields_set__ is b.__pydantic_fields_set__
    assert a.link.__pydantic_fields_set__ is b.link.__pydantic_fields_set__
    assert c.__pydantic_fields_set__ == {"name", "type", "link", "sync_interval"}
    assert config == Config.model_validate(data)
    assert a.model_dump(exclude_unset=True) == {
        "name": "a",
        **{k: data["applications"][0][k] for k in ("type", "link")},
    }
    copied = a.model_copy(update={"name": "z"})
    assert (
        copied.name == "z"
        and a.name == "a"
        and b.__pydantic_fields_set__ == {"name", "type", "link"}
    )


def test_equal_nested_models_are_one_object_unless_given_differently() -> None:
    """config.compact: one service account's BasicAuth (and SecretStr) for every application
    that uses it; written with another set of keys, it stays its own, so dumps are unchanged."""
    auth = {"username": "svc", "password": "s3cret"}
    data = {
        "applications": [
            app(name="a", link={"url": "https://a.example.com", "basic_auth": auth}),
            app(name="b", link={"url": "https://b.example.com", "basic_auth": dict(auth)}),
            app(
                name="c",
                link={
                    "url": "https://c.example.com",
                    "basic_auth": {**auth, "password_file": None},
                },
            ),
            app(name="d", link={"url": "https://d.example.com", "basic_auth": {"username": "x"}}),
        ]
    }
    config = parse_config(data)
    a, b, c, d = (application.link for application in config.applications)
    assert a.basic_auth is b.basic_auth and a is not b
    assert c.basic_auth == a.basic_auth and c.basic_auth is not a.basic_auth
    assert d.basic_auth is not None and d.basic_auth.username == "x"
    assert a.tls_config is b.tls_config is c.tls_config
    assert config == Config.model_validate(data)
    dumped = [application.model_dump(exclude_unset=True) for application in config.applications]
    expected = Config.model_validate(data).applications
    assert dumped == [application.model_dump(exclude_unset=True) for application in expected]


INVALID: list[tuple[Any, list[str]]] = [
    ([1, 2], ["(top level): must be a mapping with an applications list"]),
    ({"applications": [app()], "globals": {}}, ["globals: unknown key"]),
    ({"applications": {"name": "x"}}, ["applications: must be a list of applications"]),
    ({"applications": [app(typo=1)]}, ["applications[0].typo: unknown key"]),
    (
        {"applications": [{"type": "jira", "link": {"url": "http://j"}}]},
        ["applications[0].name: missing required key"],
    ),
    (
        {"applications": [app(type="jir")]},
        [
            "applications[0].type: must be one of: jira, confluence, bitbucket, crowd, jira-cloud, atlassian-org"
        ],
    ),
    (
        {"applications": [app(name="jira prod")]},
        [
            "applications[0].name: must start with a letter or digit and hold only letters, digits, "
            "'_', '.', '-'"
        ],
    ),
    (
        {"applications": [app(), app(), app(name="b"), app(name="b")]},
        [
            "applications[1].name: duplicate application name 'jira-prod' (first used by applications[0])",
            "applications[3].name: duplicate application name 'b' (first used by applications[2])",
        ],
    ),
    (
        {"applications": [app(sync_interval="5 minutes")]},
        [
            "applications[0].sync_interval: '5 minutes' is not a duration: use Prometheus syntax such "
            "as 30s, 5m, 1h30m"
        ],
    ),
    (
        {"applications": [app(sync_interval=30)]},
        [
            "applications[0].sync_interval: 30 is not a duration: write it with a unit, e.g. 30s or 5m"
        ],
    ),
    (
        {"global": {"timeout": "0s"}, "applications": []},
        ["global.timeout: '0s': the duration must be greater than zero"],
    ),
    (
        {"global": {"body_size_limit": "10 megs"}},
        [
            "global.body_size_limit: '10 megs' is not a size: write e.g. 10MiB, 512KiB or a number of bytes"
        ],
    ),
    (
        {"applications": [app(link={"url": "jira.example.com"})]},
        ["applications[0].link.url: the URL is not an http(s) URL with a host"],
    ),
    (
        {"applications": [app(link={"url": "https://u:p@jira.example.com"})]},
        ["applications[0].link.url: the URL has userinfo: credentials go in basic_auth"],
    ),
    (
        {"applications": [app(link={"url": "https://jira.example.com:99999"})]},
        ["applications[0].link.url: the URL has an invalid port: a number 0-65535"],
    ),
    (
        {
            "applications": [
                app(
                    link={
                        "basic_auth": {"username": "u", "password": "p"},
                        "authorization": {"credentials": "t"},
                    }
                )
            ]
        },
        ["applications[0].link: at most one of basic_auth and authorization may be set"],
    ),
    (
        {
            "applications": [
                app(link={"basic_auth": {"username": "u", "password": "p", "password_file": "/x"}})
            ]
        },
        ["applications[0].link.basic_auth: at most one of password and password_file may be set"],
    ),
    (
        {"applications": [app(link={"authorization": {"type": "Bearer"}})]},
        [
            "applications[0].link.authorization: exactly one of credentials and credentials_file must "
            "be set"
        ],
    ),
    (
        {"applications": [app(link={"tls_config": {"cert_file": "/c.pem"}})]},
        ["applications[0].link.tls_config: cert_file and key_file must be set together"],
    ),
    (
        {
            "applications": [
                app(link={"basic_auth": {"username": "u", "password_file": "/nonexistent/pw"}})
            ]
        },
        [
            "applications[0].link.basic_auth.password_file: cannot read '/nonexistent/pw': "
            "No such file or directory"
        ],
    ),
    (
        {"applications": [app(link={"tls_config": {"ca_file": "/nonexistent/ca.pem"}})]},
        [
            "applications[0].link.tls_config.ca_file: cannot read '/nonexistent/ca.pem': "
            "No such file or directory"
        ],
    ),
    (
        {"global": {"timeout": "10m"}, "applications": [app(sync_interval="1m")]},
        ["applications[0]: timeout (600s) must not exceed sync_interval (60s)"],
    ),
    (
        {"applications": [app(type="bamboo", sync_interval="x", link={"url": "ftp://x"})]},
        [
            "applications[0].link.url: the URL is not an http(s) URL with a host",
            "applications[0].sync_interval: 'x' is not a duration: use Prometheus syntax such as 30s, "
            "5m, 1h30m",
            "applications[0].type: must be one of: jira, confluence, bitbucket, crowd, jira-cloud, atlassian-org",
        ],
    ),
    # Crowd entries name the application Crowd reports on; other types must not.
    (
        {"applications": [app(type="crowd")]},
        [
            "applications[0].crowd_application_id: required for type crowd (Crowd's numeric id of "
            "the application)",
            "applications[0].crowd_application_type: required for type crowd (one of: jira, "
            "confluence, bitbucket)",
        ],
    ),
    (
        {
            "applications": [
                app(type="crowd", crowd_application_id=3, crowd_application_type="bamboo")
            ]
        },
        ["applications[0].crowd_application_type: must be one of: jira, confluence, bitbucket"],
    ),
    (
        {
            "applications": [
                app(type="crowd", crowd_application_id=0, crowd_application_type="jira")
            ]
        },
        ["applications[0].crowd_application_id: Input should be greater than or equal to 1"],
    ),
    (
        {
            "applications": [
                app(type="jira", crowd_application_id=3),
                app(name="bb", type="bitbucket", crowd_application_type="bitbucket"),
            ]
        },
        [
            "applications[0].crowd_application_id: only allowed for type crowd",
            "applications[1].crowd_application_type: only allowed for type crowd",
        ],
    ),
    # User scans: only for types that have them, periods as Prometheus durations, once each.
    (
        {
            "applications": [
                app(type="jira-cloud", inactive_periods=["30d"], user_detail={}),
                app(name="j", type="jira", users_sync_interval="2h"),
            ]
        },
        [
            "applications[0].inactive_periods: type jira-cloud has no user scan (only confluence, "
            "bitbucket, crowd, atlassian-org do)",
            "applications[0].user_detail: type jira-cloud has no user scan (only confluence, "
            "bitbucket, crowd, atlassian-org do)",
            "applications[1].users_sync_interval: type jira has no user scan (only confluence, "
            "bitbucket, crowd, atlassian-org do)",
        ],
    ),
    (
        {"global": {"inactive_periods": ["30d", "3 months"]}},
        [
            "global.inactive_periods[1]: '3 months' is not a duration: use Prometheus syntax such "
            "as 30s, 5m, 1h30m"
        ],
    ),
    (
        {"global": {"inactive_periods": ["30d", "720h"]}},
        ["global.inactive_periods: '720h' repeats an earlier period"],
    ),
    (
        {"global": {"inactive_periods": []}},
        ["global.inactive_periods: Tuple should have at least 1 item after validation, not 0"],
    ),
    (
        {"global": {"user_detail": {"max_users": 5000, "inactive": "90d"}}},
        [
            "global.user_detail.inactive: unknown key",
            "global.user_detail.max_users: Input should be less than or equal to 1000",
        ],
    ),
]


@pytest.mark.parametrize(("data", "problems"), INVALID)
def test_invalid_configs_have_exact_messages(data: Any, problems: list[str]) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config(data, "c.yaml")
    assert exc.value.problems == problems
    assert str(exc.value).startswith("c.yaml: invalid configuration:\n  ")


def test_secret_never_in_error_messages() -> None:
    data = {
        "applications": [
            app(
                link={
                    "basic_auth": {"username": "u", "password": "CANARY-pw"},
                    "authorization": {"credentials": "CANARY-tok"},
                }
            )
        ]
    }
    with pytest.raises(ConfigError) as exc:
        parse_config(data)
    assert "CANARY" not in str(exc.value)


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("applications:\n  - name: [unclosed\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert exc.value.problems[0].startswith("line 3, column 1: YAML syntax error:")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "none.yaml")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h30m", 5400),
        ("1d", 86400),
        ("1w", 604800),
        ("500ms", 0.5),
        ("1y", 31536000),
    ],
)
def test_duration(text: str, seconds: float) -> None:
    assert TypeAdapter(Duration).validate_python(text) == seconds
    assert format_duration(seconds) == text


@pytest.mark.parametrize("text", ["5", "5M", "m", "1m1h", "-1s", "1.5m", ""])
def test_bad_duration(text: str) -> None:
    with pytest.raises(ValueError):
        TypeAdapter(Duration).validate_python(text)


@pytest.mark.parametrize(("value", "size"), [("10MiB", 10 * 2**20), ("1KB", 1000), (512, 512)])
def test_size(value: Any, size: int) -> None:
    assert TypeAdapter(ByteSize).validate_python(value) == size


def test_user_scans_switch_is_only_for_types_with_user_scans() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"applications": [app(user_scans={"enabled": False})]})
    assert caught.value.problems == [
        "applications[0].user_scans: type jira has no user scan (only confluence, bitbucket, "
        "crowd, atlassian-org do)"
    ]
    with pytest.raises(ConfigError) as caught:
        parse_config({"global": {"user_scans": {"enabled": "maybe"}}})
    assert caught.value.problems == [
        "global.user_scans.enabled: Input should be a valid boolean, unable to interpret input"
    ]

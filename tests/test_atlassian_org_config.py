"""Configuring `type: atlassian-org`: the organization and site keys, the default API URL, the
hourly default sync, and a limit that is not reported rather than unlimited."""

from __future__ import annotations

from typing import Any

import pytest

from exporter import metrics as m
from exporter.apptypes.atlassian_org import AtlassianOrgApplication
from exporter.config.load import ConfigError, parse_config
from exporter.config.targets import resolve
from exporter.serve.status_page import _product
from exporter.sources.model import ProductLicense
from tests.states import registry, state

KEY = {"authorization": {"type": "Bearer", "credentials": "org-api-key"}}


def org(**extra: Any) -> dict[str, Any]:
    return {
        "name": "cloud-acme",
        "type": "atlassian-org",
        "org_id": "00000000-aaaa-4bbb-8ccc-0123456789ab",
        "site": "acme.atlassian.net",
        "link": dict(KEY),
        **extra,
    }


def test_the_api_url_defaults_and_the_site_is_stored_as_its_host() -> None:
    config = parse_config({"applications": [org(site="https://ACME.atlassian.net/")]})
    (app,) = config.applications
    assert isinstance(app, AtlassianOrgApplication)
    assert app.site == "acme.atlassian.net" and app.link.url == "https://api.atlassian.com"
    proxied = parse_config({"applications": [org(link={"url": "http://proxy.test/api/", **KEY})]})
    assert proxied.applications[0].link.url == "http://proxy.test/api"


def test_the_sync_is_hourly_unless_the_application_says_otherwise() -> None:
    config = {
        "global": {"sync_interval": "1m"},
        "applications": [org(), org(name="b", sync_interval="10m")],
    }
    hourly, own = resolve(parse_config(config)).targets
    assert hourly.interval == 3600 and own.interval == 600
    assert hourly.users is not None and hourly.users.interval == 3600


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"org_id": None}, "applications[0].org_id: required for type atlassian-org (the "
         "organization's id, from admin.atlassian.com or its API key page)"),
        ({"site": None}, "applications[0].site: required for type atlassian-org (the Cloud site "
         "whose products this application reports)"),
        ({"org_id": "../../admin"}, "applications[0].org_id: '../../admin' is not an "
         "organization id: letters, digits, '-' and '_'"),
        ({"site": "acme.atlassian.net/wiki"}, "applications[0].site: 'acme.atlassian.net/wiki' is "
         "not a site: give its host, e.g. acme.atlassian.net"),
        ({"site": "not a host"}, "applications[0].site: 'not a host' is not a site host name"),
    ],
)  # fmt: skip
def test_bad_organization_keys_are_named(change: dict[str, Any], problem: str) -> None:
    app = {k: v for k, v in {**org(), **change}.items() if v is not None}
    with pytest.raises(ConfigError) as caught:
        parse_config({"applications": [app]})
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_the_organization_keys_belong_to_this_type_only() -> None:
    jira = {"name": "j", "type": "jira", "org_id": "x", "link": {"url": "https://j.example"}}
    with pytest.raises(ConfigError) as caught:
        parse_config({"applications": [jira]})
    assert caught.value.problems == ["applications[0].org_id: only allowed for type atlassian-org"]


def test_a_limit_not_reported_is_neither_a_limit_nor_unlimited() -> None:
    product = ProductLicense("confluence", 305, None, None, limit_reported=False)
    reg = registry(state("cloud-acme", "atlassian-org", product))
    labels = {"application": "cloud-acme", "product": "confluence"}
    assert reg.get_sample_value(m.SEATS_USED.name, labels) == 305
    assert reg.get_sample_value(m.SEATS_UNLIMITED.name, labels) == 0
    assert reg.get_sample_value(m.SEATS_LIMIT.name, labels) is None
    assert reg.get_sample_value(m.SEATS_REMAINING.name, labels) is None
    assert "305 / no limit</span>" in _product(product)
    assert "120 / unlimited" in _product(ProductLicense("jira-core", 120, None, None))

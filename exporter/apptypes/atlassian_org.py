"""Atlassian Cloud organizations: one application per Cloud site, every product of that site,
read from the organization admin REST API's managed accounts (exporter.sources.atlassian_org)."""

from __future__ import annotations

import re
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from exporter.apptypes.base import AppType
from exporter.config.models import ScannedApplicationBase
from exporter.sources import atlassian_org
from exporter.sources.atlassian_org import site_host

DEFAULT_URL: Final = "https://api.atlassian.com"
# Every sync reads every managed account (about 50 a page): hourly, not every 5 minutes.
DEFAULT_SYNC_INTERVAL: Final = 3600.0
_ORG_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")


class AtlassianOrgApplication(ScannedApplicationBase):
    type: Literal["atlassian-org"]
    org_id: str = Field(
        description="the organization's id, from admin.atlassian.com or its API key page"
    )
    site: str = Field(description="the Cloud site whose products this application reports")

    @model_validator(mode="before")
    @classmethod
    def _default_url(cls, data: Any) -> Any:
        # The organization API has one public address; `link.url` is for proxies and tests.
        link = data.get("link") if isinstance(data, dict) else None
        if isinstance(link, dict) and "url" not in link:
            data = {**data, "link": {"url": DEFAULT_URL, **link}}
        return data

    @field_validator("org_id")
    @classmethod
    def _check_org_id(cls, value: str) -> str:
        # It goes into the URL path: nothing that could step out of it.
        if not _ORG_ID.fullmatch(value):
            raise ValueError(
                f"{value!r} is not an organization id: letters, digits, '-' and '_' "
                "(as in admin.atlassian.com/o/{id})"
            )
        return value

    @field_validator("site")
    @classmethod
    def _check_site(cls, value: str) -> str:
        text = value.strip()
        parts = urlsplit(text if "://" in text else f"https://{text}")
        if parts.scheme not in ("http", "https") or parts.path.strip("/") or parts.query:
            raise ValueError(f"{value!r} is not a site: give its host, e.g. acme.atlassian.net")
        host = site_host(text)
        if not _HOST.fullmatch(host):
            raise ValueError(f"{value!r} is not a site host name, e.g. acme.atlassian.net")
        return host


TYPE = AppType(
    "atlassian-org",
    AtlassianOrgApplication,
    atlassian_org.fetch,
    atlassian_org.scan,
    simulator="atlassian-org",
    default_sync_interval=DEFAULT_SYNC_INTERVAL,
    cloud=True,  # no Data Center sunset for a Cloud site
)

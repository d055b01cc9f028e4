"""Bitbucket Data Center: the admin license resource, licensed users joined with activity."""

from __future__ import annotations

from typing import Literal

from exporter.apptypes.base import AppType
from exporter.config.models import ScannedApplicationBase
from exporter.sources import bitbucket, bitbucket_users


class BitbucketApplication(ScannedApplicationBase):
    type: Literal["bitbucket"]


TYPE = AppType(
    "bitbucket", BitbucketApplication, bitbucket.fetch, bitbucket_users.scan, simulator="bitbucket"
)

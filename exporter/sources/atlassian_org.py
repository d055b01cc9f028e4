"""Atlassian Cloud organizations: managed accounts with their product access, per site.

One listing, `GET /admin/v1/orgs/{orgId}/users` (cursor paging through `links.next`, about 50
accounts a page), read page by page and never held: the license sync counts seats from it, the
user scan counts inactive users. Both count the same accounts of one site's products: billable
(`access_billable`), `account_status` active, with the product on that site in
`product_access`. Activity is the product's own `last_active`, not the account's.

A page that fails (a 429 above all: large organizations meet the rate limit) leaves a
checkpoint: the next attempt, which the schedule holds back as long as Retry-After asks,
resumes at the refused page with the counts so far, rather than reading every page again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

from exporter.config.users import ScanSettings
from exporter.metrics import Reason
from exporter.sources import parse
from exporter.sources.http import LinkClient
from exporter.sources.model import ProductLicense, Snapshot, SourceError, UsersSnapshot
from exporter.sources.users import UserScan

if TYPE_CHECKING:
    from exporter.apptypes.atlassian_org import AtlassianOrgApplication

log = logging.getLogger(__name__)

USERS: Final = "/admin/v1/orgs/{org}/users"
# A page that failed for one of these resumes; a broken body starts the pass over.
RESUMABLE: Final[frozenset[Reason]] = frozenset(
    {"http_429", "http_5xx", "timeout", "connection", "dns", "http_401", "http_403"}
)
T = TypeVar("T")


def site_host(value: str) -> str:
    """`https://acme.atlassian.net/` -> `acme.atlassian.net`: how product_access names a site."""
    text = value.strip()
    host = urlsplit(text).netloc if "://" in text else text.split("/", 1)[0]
    return host.lower()


def cursor_of(link: str, path: str) -> str:
    """The cursor of a `links.next`: documented as the next page's cursor; some clients see a
    URL or a path with `?cursor=`. Only the cursor is kept: the exporter never follows a link
    to wherever it points (credentials stay with the configured URL)."""
    if "?" not in link and "/" not in link:
        return link
    values = parse_qs(urlsplit(link).query).get("cursor")
    if not values or not values[0]:
        raise SourceError("invalid_response", path, "links.next has no cursor")
    return values[0]


@dataclass
class _Pass(Generic[T]):
    """A pass through the listing: the page to read next (None: the first) and the counts."""

    tally: T
    cursor: str | None = None
    pages: int = 0


async def _read(
    client: LinkClient,
    app: AtlassianOrgApplication,
    key: str,
    tally: Callable[[], T],
    add: Callable[[T, dict[str, Any]], None],
) -> T:
    """Stream the listing into `tally` (one page in memory), resuming a saved pass."""
    path = USERS.format(org=quote(app.org_id, safe=""))
    saved = client.checkpoints.take(key)
    current: _Pass[T] = saved if isinstance(saved, _Pass) else _Pass(tally())
    if saved is not None:
        log.info(
            "resuming listing application=%s job=%s pages_done=%d", app.name, key, current.pages
        )
    while True:
        params = None if current.cursor is None else {"cursor": current.cursor}
        try:
            body = await client.get_json(path, params=params)
        except SourceError as exc:
            if exc.reason in RESUMABLE:
                client.checkpoints.put(key, current)
            raise
        obj = parse.as_object(body, path)
        users = parse.as_list(obj.get("data"), f"{path} data")
        links = obj.get("links")
        following = links.get("next") if isinstance(links, dict) else None
        if following is not None and not isinstance(following, str):
            raise SourceError("invalid_response", path, "links.next is not a string")
        cursor = cursor_of(following, path) if following else None
        if cursor is not None and cursor == current.cursor:
            raise SourceError("invalid_response", path, "paging does not advance: same cursor")
        for user in users:
            add(current.tally, parse.as_object(user, path))
        if cursor is None:
            return current.tally
        current.cursor, current.pages = cursor, current.pages + 1


@dataclass(frozen=True)
class Account:
    """What one managed account tells about one site: its products there, and whether it
    holds their seats."""

    account_id: str
    name: str | None
    counted: bool  # billable and active: holds a seat of each product below
    products: dict[str, float | None]  # product key -> its own last activity (None: never)
    billable_unknown: bool = False  # no access_billable at all


def account(obj: dict[str, Any], site: str, path: str) -> Account:
    ident = parse.text(obj, "account_id", path)
    if ident is None:
        raise SourceError("invalid_response", path, "an account has no 'account_id'")
    status = parse.text(obj, "account_status", path)
    # Absent means not known to be billable: such an account is not counted as a seat.
    flag = parse.boolean(obj, "access_billable", path)
    products: dict[str, float | None] = {}
    access = obj.get("product_access")
    for entry in parse.as_list(access, f"{path} product_access") if access is not None else []:
        item = parse.as_object(entry, path)
        key, url = parse.text(item, "key", path), parse.text(item, "url", path)
        if key is None or url is None or site_host(url) != site:
            continue
        last = parse.instant(item, "last_active", path)
        # The same product twice (it should not happen): one seat, the later activity.
        earlier = products.get(key)
        products[key] = last if earlier is None else max(earlier, last or earlier)
    counted = flag is True and status == "active"
    return Account(ident, parse.text(obj, "name", path), counted, products, flag is None)


@dataclass
class _Seats:
    path: str
    site: str
    used: dict[str, int] = field(default_factory=dict)
    billable_unknown: int = 0  # accounts on the site without access_billable: no seat

    def add(self, obj: dict[str, Any]) -> None:
        seen = account(obj, self.site, self.path)
        if seen.billable_unknown and seen.products:
            self.billable_unknown += 1
        for key in seen.products:
            if key not in self.used:
                # Every product anyone has on the site shows, with 0 if nobody holds a seat.
                self.used[key] = 0
                parse.capped(list(self.used), self.path)
            self.used[key] += 1 if seen.counted else 0


async def fetch(client: LinkClient, app: AtlassianOrgApplication) -> Snapshot:
    path = USERS.format(org=app.org_id)
    seats = await _read(client, app, "seats", lambda: _Seats(path, app.site), _Seats.add)
    if not seats.used:
        log.info("no product access on the site application=%s site=%s", app.name, app.site)
    if seats.billable_unknown:
        log.info(
            "accounts without access_billable, not counted as seats application=%s count=%d",
            app.name,
            seats.billable_unknown,
        )
    return Snapshot(
        tuple(
            # No documented limit: the workspaces API's `capacity` has no documented meaning.
            ProductLicense(key, used, None, None, limit_reported=False)
            for key, used in sorted(seats.used.items())
        )
    )


@dataclass
class _Users:
    path: str
    site: str
    settings: ScanSettings
    scan: UserScan

    def add(self, obj: dict[str, Any]) -> None:
        seen = account(obj, self.site, self.path)
        for key, last in seen.products.items():
            self.scan.product(key)
            if seen.counted:
                # The account id, never the name or e-mail address, is the user label; an
                # excluded account still holds its seat and counts in users_excluded.
                also = (seen.name,) if seen.name else ()
                self.scan.add(key, seen.account_id, last, also=also)


async def scan(
    client: LinkClient, app: AtlassianOrgApplication, settings: ScanSettings, now: float
) -> UsersSnapshot:
    path = USERS.format(org=app.org_id)

    def start() -> _Users:
        # A resumed pass keeps the `now` it started with: every account is judged alike.
        return _Users(path, app.site, settings, UserScan(settings, now))

    users = await _read(client, app, "users", start, _Users.add)
    result = users.scan.result()
    return UsersSnapshot(tuple(sorted(result.products, key=lambda p: p.product)))

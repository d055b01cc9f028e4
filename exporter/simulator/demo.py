"""Ready-made instance sets: a realistic demo estate and a generated one for benchmarks."""

from __future__ import annotations

import dataclasses
import random
import time

from exporter.simulator.model import DAY, CrowdApp, InstanceType, SimInstance, SimProduct
from exporter.simulator.users import SimUsers


def crowd_product(key: str, app: int, limit: int | None, users: SimUsers) -> SimProduct:
    """A product Crowd reports on: its seat count is the length of its licensed-user list."""
    return SimProduct(key, limit, users.licensed_count, crowd_app=app, users=users)


def with_users(instances: list[SimInstance], count: int) -> list[SimInstance]:
    """The same instances with `count` users in every user list (benchmarks: --users)."""
    out = []
    for inst in instances:
        products = []
        for product in inst.products:
            if product.users is not None:
                users = dataclasses.replace(product.users, count=count)
                product = dataclasses.replace(product, users=users)
                if inst.type == "crowd":
                    product = dataclasses.replace(product, base_used=users.licensed_count)
            products.append(product)
        out.append(dataclasses.replace(inst, products=products))
    return out


def demo_instances(now: float | None = None) -> list[SimInstance]:
    """Six instances whose seats move and whose dates spread around `now` (default: time());
    Bitbucket, Confluence 9.3 and the Crowd-known applications have user lists."""
    t = time.time() if now is None else now

    def days(n: float) -> float:
        # Whole days from midnight UTC, as license dates are.
        return (t // DAY + n) * DAY

    jira = SimInstance(
        "jira-prod",
        "jira",
        [
            # Close to its limit and rising: the exhaustion forecast has something to show.
            SimProduct(
                "jira-software",
                500,
                430,
                amplitude=6,
                period_seconds=1800,
                trend_per_day=2.0,
                expiry=days(21),
                maintenance_expiry=days(21),
                sen="SEN-41000001",
            ),
            SimProduct(
                "jira-servicedesk",
                50,
                45,
                amplitude=2,
                period_seconds=900,
                phase=1.0,
                expiry=days(200),
                maintenance_expiry=days(200),
                sen="SEN-41000002",
            ),
            SimProduct(
                "jira-core",
                None,
                120,
                amplitude=3,
                period_seconds=3600,
                expiry=days(200),
                maintenance_expiry=days(200),
                sen="SEN-41000003",
            ),
        ],
        token="jira-prod-token",
        version="9.12.7",
    )
    confluence = SimInstance(
        "confluence-prod",
        "confluence",
        [
            SimProduct(
                "confluence",
                500,
                452,
                amplitude=4,
                period_seconds=2400,
                trend_per_day=0.5,
                expiry=days(340),
                maintenance_expiry=days(27),
                sen="SEN-42000001",
            ),
        ],
        token="confluence-prod-token",
        # 9.3+: the active-user listing exists, so its users can be scanned.
        version="9.3.2",
    )
    confluence.products[0].users = SimUsers(526, seed=42, epoch=t)
    legacy = SimInstance(
        "confluence-legacy",
        "confluence",
        # Perpetual Server-era license on a version without /license/details.
        [
            SimProduct(
                "confluence",
                250,
                212,
                amplitude=5,
                period_seconds=3600,
                maintenance_expiry=days(-40),
                data_center=False,
                subscription=False,
                sen="SEN-42000002",
            )
        ],
        version="6.15.0",
    )
    bitbucket = SimInstance(
        "bitbucket-prod",
        "bitbucket",
        [
            SimProduct(
                "bitbucket",
                100,
                88,
                amplitude=2,
                period_seconds=1200,
                trend_per_day=0.3,
                created=days(-340),
                expiry=days(12),
                maintenance_expiry=days(12),
                grace_period_end=days(42),
                sen="SEN-43000001",
            ),
        ],
        token="bitbucket-prod-token",
        version="9.6.0",
    )
    bitbucket.products[0].users = SimUsers(102, seed=43, epoch=t)
    crowd = SimInstance(
        "crowd",
        "crowd",
        [
            # Near its limit with a third of the seats idle for 90 days: reclaim before you buy.
            crowd_product("jira-software", 3, 250, SimUsers(270, seed=44, epoch=t)),
            crowd_product("jira-servicedesk", 3, 50, SimUsers(40, seed=45, epoch=t)),
            crowd_product("confluence", 5, 100, SimUsers(90, seed=46, epoch=t)),
        ],
        crowd_apps=[
            # Licensed users from three user directories: seats per directory on the dashboards.
            CrowdApp(
                3,
                "jira",
                "jira-emea",
                directories=(
                    ("743", "Crowd users directory", True),
                    ("9714", "Corporate LDAP", False),
                    ("9920", "Contractors AD", False),
                ),
            ),
            # A broken application link: Crowd's numbers for it are two days old.
            CrowdApp(5, "confluence", "confluence-emea", data_age=2 * DAY),
        ],
    )
    cloud = SimInstance(
        "jira-cloud",
        "jira-cloud",
        [
            SimProduct("jira-software", 100, 72, amplitude=3, period_seconds=1800),
            SimProduct("jira-servicedesk", 3, 2, plan="FREE"),
            SimProduct("jira-product-discovery", None, 5, plan="FREE"),
        ],
        # Cloud: basic auth with the account's e-mail address and an API token.
        username="admin@example.com",
        password="demo-api-token",
        viewer_username="viewer@example.com",
    )
    return [jira, confluence, legacy, bitbucket, crowd, cloud]


_LIMITS = [10, 25, 50, 100, 250, 500, 1000, 2000, 5000, 10000]
_JIRA_KEYS = ["jira-software", "jira-servicedesk", "jira-core"]
_CONFLUENCE_VERSIONS = ["7.19.26", "8.5.9", "9.2.1", "7.0.5", "6.15.0"]


def generated_instances(n: int, seed: int = 0, now: float | None = None) -> list[SimInstance]:
    """`n` instances named app-0001.. cycling jira/confluence/bitbucket, same for same seed."""
    rng = random.Random(seed)
    t = time.time() if now is None else now
    types: list[InstanceType] = ["jira", "confluence", "bitbucket"]
    out = []
    for i in range(1, n + 1):
        kind = types[(i - 1) % 3]
        keys = _JIRA_KEYS[: rng.randint(1, 3)] if kind == "jira" else [kind]
        products = [_random_product(rng, key, t, i * 10 + j) for j, key in enumerate(keys)]
        version = ""
        if kind == "confluence":
            version = rng.choice(_CONFLUENCE_VERSIONS)
        out.append(
            SimInstance(
                f"app-{i:04d}",
                kind,
                products,
                token=f"token-app-{i:04d}",
                version=version,
                upm_maintenance_expiry=i % 2 == 0,
            )
        )
    return out


def _random_product(rng: random.Random, key: str, now: float, serial: int) -> SimProduct:
    limit: int | None = None if rng.random() < 0.05 else rng.choice(_LIMITS)
    base = rng.randint(50, 1500) if limit is None else int(limit * rng.uniform(0.55, 0.99))
    expiry = (now // DAY + rng.randint(-20, 400)) * DAY
    return SimProduct(
        key,
        limit,
        base,
        amplitude=round(max(1.0, base * rng.uniform(0.0, 0.03)), 1),
        period_seconds=rng.choice([600, 900, 1800, 3600, 7200]),
        trend_per_day=round(rng.uniform(-0.5, 2.0), 2),
        phase=round(rng.uniform(0, 6.28), 2),
        expiry=expiry,
        maintenance_expiry=expiry,
        grace_period_end=expiry + 30 * DAY if key == "bitbucket" else None,
        created=expiry - 365 * DAY,
        sen=f"SEN-{50_000_000 + serial}",
    )

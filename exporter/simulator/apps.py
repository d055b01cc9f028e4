"""Marketplace app estates for the simulator: the demo's realistic mix, and N apps for the
bench. Keys, names and vendors are made up in the style of real listings."""

from __future__ import annotations

from collections.abc import Callable

from exporter.simulator.model import DAY, SimApp, SimAppLicense

# (key suffix, name, vendor) of paid apps; the host type is added to the key.
_PAID = [
    ("scriptrunner", "ScriptRunner", "Adaptavist"),
    ("drawio", "draw.io Diagrams", "JGraph"),
    ("tempo-timesheets", "Tempo Timesheets", "Tempo Software"),
    ("bigpicture", "BigPicture", "Appfire"),
    ("comala-workflows", "Comala Document Management", "Appfire"),
    ("gliffy", "Gliffy Diagrams", "Gliffy"),
    ("awesome-graphs", "Awesome Graphs", "Stiltsoft"),
    ("saml-sso", "SAML Single Sign On", "resolution"),
]
_FREE = [
    ("hello-macro", "Hello Macro", "Example Labs"),
    ("handy-shortcuts", "Handy Shortcuts", "Example Labs"),
    ("team-calendar-lite", "Team Calendar Lite", "Example Labs"),
]


def demo_apps(host: str, host_limit: int, days: Callable[[float], float]) -> list[SimApp]:
    """Free apps (one answered with a 404, one without a license body), and paid ones:
    commercial at the host's tier, an evaluation ending soon, an expired one, an unlimited one,
    one a tier below the host's (no UPM error: only the exporter's comparison finds it), and
    one UPM reports a user mismatch for."""

    def key(suffix: str) -> str:
        return f"com.example.{host}.{suffix}"

    def paid(i: int, lic: SimAppLicense, *, enabled: bool = True) -> SimApp:
        suffix, name, vendor = _PAID[i]
        return SimApp(key(suffix), name, f"{8 + i}.{i}.{2 * i}", vendor, enabled, lic)

    apps = [
        paid(0, SimAppLicense(limit=host_limit, expiry=days(180), maintenance_expiry=days(180))),
        paid(
            1,
            SimAppLicense(
                "EVALUATION", host_limit, days(5), days(5), evaluation=True, subscription=True
            ),
        ),
        paid(2, SimAppLicense(limit=host_limit, expiry=days(-3), maintenance_expiry=days(-3))),
        paid(3, SimAppLicense("COMMERCIAL", None, days(300), days(300), sen="SEN-90000004")),
        # A tier below the host's: works until UPM notices; the exporter compares tiers itself.
        paid(4, SimAppLicense(limit=host_limit // 2, expiry=days(90), maintenance_expiry=days(90))),
        paid(
            5,
            SimAppLicense(
                limit=max(10, host_limit // 5),
                expiry=days(60),
                maintenance_expiry=days(60),
                error="USER_MISMATCH",
            ),
        ),
        # Perpetual: no expiry, maintenance running out within a month.
        paid(6, SimAppLicense("ACADEMIC", host_limit, None, days(25)), enabled=False),
    ]
    for i, (suffix, name, vendor) in enumerate(_FREE):
        apps.append(SimApp(key(suffix), name, f"1.{i}.0", vendor, free_404=i == 0))
    return apps


def legacy_apps(host_limit: int, days: Callable[[float], float]) -> list[SimApp]:
    """A Server-era instance: a perpetual Server license whose maintenance has run out, and a
    free app."""
    perpetual = SimAppLicense(
        limit=host_limit, maintenance_expiry=days(-60), data_center=False, sen="SEN-90000009"
    )
    return [
        SimApp(
            "com.example.confluence.gliffy", "Gliffy Diagrams", "9.4.1", "Gliffy", True, perpetual
        ),
        SimApp("com.example.confluence.hello-macro", "Hello Macro", "1.0.0", "Example Labs"),
    ]


def many_apps(count: int, host_limit: int, now: float) -> list[SimApp]:
    """`count` paid apps, all healthy at the host's tier (the bench's workload)."""
    return [
        SimApp(
            f"com.example.bench.app-{i:03d}",
            f"Bench App {i}",
            "1.0.0",
            license=SimAppLicense(limit=host_limit, expiry=now + 100 * DAY),
        )
        for i in range(count)
    ]

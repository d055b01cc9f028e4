"""requirements.lock, which the image installs with --require-hashes, covers pyproject's runtime
dependencies at versions they allow, every entry pinned and hashed."""

from __future__ import annotations

import re

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.files import LOCK, ROOT, locked, pyproject


def test_lock_covers_every_runtime_dependency_at_an_allowed_version() -> None:
    lock = locked()
    for spec in pyproject()["project"]["dependencies"]:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{name} is not in requirements.lock: run scripts/lock.sh"
        version = lock[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {name}=={version}, pyproject wants {requirement.specifier}: "
            "run scripts/lock.sh"
        )


def test_every_locked_distribution_is_hash_checked() -> None:
    lock = locked()
    assert len(lock) >= len(pyproject()["project"]["dependencies"])
    for name, (_, hashes) in lock.items():
        assert hashes, f"{name} has no --hash in requirements.lock"
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), name


def test_lock_says_how_to_regenerate_it() -> None:
    assert "#    scripts/lock.sh\n" in LOCK.read_text(encoding="utf-8")
    assert (ROOT / "scripts" / "lock.sh").stat().st_mode & 0o111

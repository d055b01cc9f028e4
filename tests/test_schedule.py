"""The schedule record every periodic job shares: backoff, Retry-After, no early retry."""

from __future__ import annotations

import pytest

from exporter.sync.backoff import MAX_RETRY_AFTER, NO_EARLY_RETRY, Failure, backoff
from exporter.sync.clock import Instant
from exporter.sync.schedule import STALE_FACTOR, Schedule
from tests.factories import at


def test_success_records_the_snapshot_and_the_next_due_time_from_the_start() -> None:
    s = Schedule[str](60.0)
    s.record_success("data", at(100), at(102.5), jitter=3.0)
    assert (s.up, s.snapshot, s.last_duration, s.next_due) == (True, "data", 2.5, 163.0)
    assert s.last_success == at(102.5) and s.consecutive_failures == 0


def test_failures_back_off_exponentially_up_to_the_interval_and_keep_the_snapshot() -> None:
    s = Schedule[str](60.0, snapshot="old")
    delays = []
    for _ in range(6):
        s.record_failure(Failure("connection", "refused"), at(0), at(0))
        delays.append(s.next_due)
    assert delays == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]
    assert s.snapshot == "old" and s.up is False and s.last_error == "connection: refused"


@pytest.mark.parametrize("reason", sorted(NO_EARLY_RETRY))
def test_failures_a_retry_cannot_fix_wait_a_whole_interval(reason: str) -> None:
    s = Schedule[str](300.0)
    s.record_failure(Failure(reason, "denied"), at(0), at(0))  # type: ignore[arg-type]
    assert s.next_due == 300.0


def test_backoff_never_overflows_however_long_an_instance_is_gone() -> None:
    # 1,025 failures in a row used to raise OverflowError in 5 * 2**n and leave next_due
    # unchanged: the poller then retried in a hot loop.
    s = Schedule[str](300.0)
    for n in range(1, 5000):
        s.record_failure(Failure("connection", "refused"), at(n * 300.0), at(n * 300.0))
        assert s.next_due > n * 300.0  # always advanced
    assert s.consecutive_failures == 4999 and s.next_due == 4999 * 300.0 + 300.0
    assert backoff(300.0, 10**9, "timeout", None) == 300.0


def test_retry_after_is_honoured_but_capped() -> None:
    assert backoff(60.0, 1, "http_429", 90.0) == 90.0
    assert backoff(60.0, 1, "http_429", 99_999_999_999.0) == MAX_RETRY_AFTER
    s = Schedule[str](60.0)
    s.record_failure(Failure("http_429", "slow down", retry_after=1e12), at(10), at(10))
    assert s.next_due == 10 + MAX_RETRY_AFTER


def test_a_reload_reschedules_a_job_parked_beyond_its_interval() -> None:
    s = Schedule[str](60.0)
    s.record_failure(Failure("http_429", "slow down", retry_after=3600.0), at(0), at(0))
    assert s.next_due == 3600.0
    s.reschedule(now=100.0)
    assert s.next_due == 160.0
    s.reschedule(now=10.0)  # never later than it was
    assert s.next_due == 70.0


def test_hold_only_ever_postpones() -> None:
    s = Schedule[str](60.0, next_due=50.0)
    s.hold(40.0)
    assert s.next_due == 50.0
    s.hold(300.0)
    assert s.next_due == 300.0


def test_data_is_fresh_for_stale_factor_intervals_on_the_monotonic_clock() -> None:
    s = Schedule[str](60.0)
    s.record_success("data", Instant(1e9, 10.0), Instant(1e9, 10.0), jitter=0.0)
    assert s.fresh(10.0 + STALE_FACTOR * 60) == "data"
    assert s.fresh(10.0 + STALE_FACTOR * 60 + 1) is None

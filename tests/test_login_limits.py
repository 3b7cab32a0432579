"""The login limits as a table: which counts an attempt is held by, how long each holds it,
the known-device cookie, and the PORTAL_LOGIN_* settings."""

from __future__ import annotations

import pytest

from service.config import LoginLimits, SettingInvalid, login_limits_from
from service.rules.login_limits import (
    ACCOUNT,
    ADDRESS,
    DEVICE,
    PAIR,
    Attempt,
    Failures,
    device_cookie,
    device_key,
    keys,
    known_device,
    wait,
)

LIMITS = LoginLimits()
NOW = 10_000.0
HR_HERE = Attempt("HR", "10.0.0.1", known=True)
HR_OWN_BROWSER = Attempt("hr", "10.0.0.1", known=True, device="n0nce")
STRANGER_HERE = Attempt("nobody", "10.0.0.1")


@pytest.mark.parametrize(("attempt", "expected"), [
    (HR_HERE, ((PAIR, "hr", "10.0.0.1"), (ACCOUNT, "hr"))),
    (HR_OWN_BROWSER, ((DEVICE, "hr", "n0nce"),)),
    (STRANGER_HERE, ((PAIR, "nobody", "10.0.0.1"), (ADDRESS, "10.0.0.1"))),
])
def test_the_counts_an_attempt_is_held_by(attempt: Attempt, expected: tuple[tuple[str, ...], ...]) -> None:
    assert keys(attempt) == expected


AGO = NOW - 0.0  # failures that happened just now
TABLE = [
    # (attempt, counts, seconds to wait)
    (HR_HERE, {}, 0.0),
    (HR_HERE, {(PAIR, "hr", "10.0.0.1"): Failures(4, AGO)}, 0.0),
    (HR_HERE, {(PAIR, "hr", "10.0.0.1"): Failures(5, AGO)}, 1.0),
    (HR_HERE, {(PAIR, "hr", "10.0.0.1"): Failures(7, AGO)}, 4.0),
    (HR_HERE, {(PAIR, "hr", "10.0.0.1"): Failures(40, AGO)}, 900.0),  # the cap
    (HR_HERE, {(PAIR, "hr", "10.0.0.1"): Failures(40, NOW - 3600)}, 0.0),  # forgotten after an hour
    (HR_HERE, {(ACCOUNT, "hr"): Failures(9, AGO)}, 0.0),
    (HR_HERE, {(ACCOUNT, "hr"): Failures(10, AGO)}, 1.0),
    (HR_HERE, {(ACCOUNT, "hr"): Failures(10_000, AGO)}, 2.0),  # the account only slows
    (HR_HERE, {(ACCOUNT, "hr"): Failures(10_000, NOW - 1.5)}, 0.5),
    (HR_HERE, {(ADDRESS, "10.0.0.1"): Failures(10_000, AGO)}, 0.0),  # unknown names there: no matter
    (HR_HERE, {(PAIR, "clerk", "10.0.0.1"): Failures(10_000, AGO)}, 0.0),  # another account there
    (HR_OWN_BROWSER, {(PAIR, "hr", "10.0.0.1"): Failures(10_000, AGO), (ACCOUNT, "hr"): Failures(10_000, AGO)}, 0.0),
    (HR_OWN_BROWSER, {(DEVICE, "hr", "n0nce"): Failures(6, AGO)}, 2.0),
    (STRANGER_HERE, {(ADDRESS, "10.0.0.1"): Failures(19, AGO)}, 0.0),
    (STRANGER_HERE, {(ADDRESS, "10.0.0.1"): Failures(20, AGO)}, 1.0),
    (STRANGER_HERE, {(ADDRESS, "10.0.0.2"): Failures(10_000, AGO)}, 0.0),
    (STRANGER_HERE, {(PAIR, "nobody", "10.0.0.1"): Failures(5, AGO), (ADDRESS, "10.0.0.1"): Failures(22, AGO)}, 4.0),
]


@pytest.mark.parametrize(("attempt", "counts", "expected"), TABLE)
def test_how_long_an_attempt_waits(attempt: Attempt, counts: dict[tuple[str, ...], Failures],
                                   expected: float) -> None:
    assert wait(LIMITS, attempt, counts, NOW) == pytest.approx(expected)


def test_a_correct_sign_in_with_no_failures_of_its_own_is_held_two_seconds_at_most() -> None:
    everything_else = {(PAIR, "clerk", "10.0.0.1"): Failures(99, NOW), (ADDRESS, "10.0.0.1"): Failures(999, NOW),
                       (ACCOUNT, "clerk"): Failures(999, NOW), (ACCOUNT, "hr"): Failures(999, NOW)}
    assert wait(LIMITS, HR_HERE, everything_else, NOW) <= 2.0
    assert wait(LoginLimits(account_wait=1.0), HR_HERE, everything_else, NOW) == 1.0


KEY = device_key(b"the data directory's secret")


@pytest.mark.parametrize(("cookie", "username", "now", "expected"), [
    (device_cookie(KEY, "hr", "abc", 1_000), "hr", 1_000 + 86400, "abc"),
    (device_cookie(KEY, "hr", "abc", 1_000), "HR", 1_000, "abc"),
    (device_cookie(KEY, "hr", "abc", 1_000), "clerk", 1_000, ""),  # another account's
    (device_cookie(KEY, "hr", "abc", 1_000), "hr", 1_000 + 181 * 86400, ""),  # expired
    (device_cookie(KEY, "hr", "abc", 1_000), "hr", 500, ""),  # issued in the future
    (device_cookie(device_key(b"another secret"), "hr", "abc", 1_000), "hr", 1_000, ""),
    (device_cookie(KEY, "hr", "abc", 1_000).replace(".abc.", ".abd."), "hr", 1_000, ""),
    (device_cookie(KEY, "hr", "abc", 1_000).replace("1000.", "1001.", 1), "hr", 1_001, ""),
    ("", "hr", 1_000, ""),
    (None, "hr", 1_000, ""),
    ("1000..0.hr", "hr", 1_000, ""),
    ("x.abc.0.hr", "hr", 1_000, ""),
])
def test_the_known_device_cookie(cookie: str | None, username: str, now: float, expected: str) -> None:
    assert known_device(KEY, cookie, username, now, 180) == expected


def test_the_limits_are_settings() -> None:
    assert login_limits_from({}) == LoginLimits()
    found = login_limits_from({"PORTAL_LOGIN_PAIR_FREE": "3", "PORTAL_LOGIN_ADDRESS_FREE": "50",
                               "PORTAL_LOGIN_ACCOUNT_FREE": "30", "PORTAL_LOGIN_ACCOUNT_WAIT": "1",
                               "PORTAL_LOGIN_FORGET_MINUTES": "15", "PORTAL_KNOWN_DEVICE_DAYS": "30"})
    assert found == LoginLimits(pair_free=3, address_free=50, account_free=30, account_wait=1.0,
                                forget_after=900.0, device_days=30)
    for name, value in (("PORTAL_LOGIN_ACCOUNT_WAIT", "60"), ("PORTAL_LOGIN_PAIR_FREE", "many")):
        with pytest.raises(SettingInvalid, match=name):
            login_limits_from({name: value})

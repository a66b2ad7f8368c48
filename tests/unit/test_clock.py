"""The ledger's clock: pinned for tests and reproducible servers, refused in production."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gql_server import clock
from gql_server.settings import SettingsError, load_settings

INDIA = ZoneInfo("Asia/Kolkata")


@pytest.fixture(autouse=True)
def in_a_scratch_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # a secret made for a missing JWT_SECRET lands here


def test_a_pinned_clock_gives_the_local_day_of_its_instant() -> None:
    late_evening_utc = datetime(2027, 3, 31, 20, 0, tzinfo=UTC)  # 1 April, 01:30 in India
    with clock.pinned(late_evening_utc):
        assert clock.now() == late_evening_utc
        assert clock.today("Asia/Kolkata") == date(2027, 4, 1)
        assert clock.today("UTC") == date(2027, 3, 31)


def test_pins_nest_and_restore() -> None:
    before = clock.pinned_at()
    with clock.pinned(datetime(2030, 1, 1, tzinfo=INDIA)):
        with clock.pinned(datetime(2031, 1, 1, tzinfo=INDIA)):
            assert clock.today(INDIA) == date(2031, 1, 1)
        assert clock.today(INDIA) == date(2030, 1, 1)
    assert clock.pinned_at() == before


def test_a_pin_needs_a_timezone() -> None:
    with pytest.raises(ValueError, match="timezone"):
        clock.pin(datetime(2030, 1, 1))


def test_ledger_now_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.setenv("LEDGER_NOW", "2026-03-10T09:00:00+05:30")
    assert load_settings(env_file=None).ledger_now == datetime(2026, 3, 10, 9, 0, tzinfo=INDIA)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"APP_ENV": "production", "JWT_SECRET": "k" * 48}, "LEDGER_NOW must not be set"),
        ({"APP_ENV": "test"}, "LEDGER_NOW needs an offset"),
    ],
)
def test_ledger_now_is_refused_in_production_and_without_an_offset(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(
        "LEDGER_NOW", "2026-03-10T09:00:00" + ("+05:30" if "JWT_SECRET" in env else "")
    )
    with pytest.raises(SettingsError, match=message):
        load_settings(env_file=None)

"""Linker settings: where the snapshots live."""

from __future__ import annotations

import pytest

from services.linker.config import LinkerSettings
from shared.settings import CommonSettings

pytestmark = pytest.mark.unit


def test_snapshots_live_in_a_database_of_their_own_by_default() -> None:
    settings = LinkerSettings(common=CommonSettings(mongo_db="newsroom"))
    assert settings.snapshot_database() == "newsroom_linker"


def test_snapshot_database_setting_overrides_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_LINKER_SNAPSHOT_DB", "linker_state")
    assert LinkerSettings(common=CommonSettings(mongo_db="newsroom")).snapshot_database() \
        == "linker_state"

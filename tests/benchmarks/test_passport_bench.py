"""The passport benchmark's database section runs end to end on a small SQLite log."""

from __future__ import annotations

import argparse

from benchmarks.passport_db import _measure


def test_the_db_section_appends_and_verifies_on_sqlite(tmp_path, capsys) -> None:
    args = argparse.Namespace(db_events=400, repeat=1)
    single, batched, verify_ms = _measure("sqlite", f"sqlite:///{tmp_path / 'b.sqlite3'}", args)
    assert single > 0
    assert batched > 0
    assert verify_ms > 0
    printed = capsys.readouterr().out
    assert "verify a lot of 100 events" in printed

"""The standalone verifier runs as ``python -m passport.verify_bundle`` in a separate process."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED as SHARED_ROOT
from tests.passport.fixture import World, build_world

ROOT = Path(__file__).resolve().parents[2]
SHARED = SHARED_ROOT / "standards" / "epcis"


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "passport.verify_bundle", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_good_bundle_verifies_with_pinned_key_kept_checkpoint_and_gs1_schema(
    world: World, tmp_path: Path
) -> None:
    (tmp_path / "bundle.json").write_text(json.dumps(world.bundle, ensure_ascii=False))
    (tmp_path / "key.pem").write_text(world.public_pem)
    (tmp_path / "kept.json").write_text(json.dumps(world.older))
    result = run(
        str(tmp_path / "bundle.json"),
        "--public-key",
        str(tmp_path / "key.pem"),
        "--kept",
        str(tmp_path / "kept.json"),
        "--schema",
        str(SHARED / "EPCIS-JSON-Schema.json"),
        "--expand",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("验证通过 — lot HL-BALE, 15 events, log size 26")


def test_a_tampered_bundle_lists_its_problems_and_exits_1(world: World, tmp_path: Path) -> None:
    bundle = copy.deepcopy(world.bundle)
    bundle["document"]["epcisBody"]["eventList"][3]["bizStep"] = "storing"
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    result = run(str(tmp_path / "bundle.json"), "--lang", "en")
    assert result.returncode == 1
    assert "[event.unchained] This event is in no lot's chain" in result.stdout
    assert "document.epcisBody.eventList[3]" in result.stdout
    report = json.loads(run(str(tmp_path / "bundle.json"), "--json").stdout)
    assert report["ok"] is False
    assert {"event.missing", "event.unchained"} <= {p["code"] for p in report["problems"]}


def test_unreadable_input_exits_2(tmp_path: Path) -> None:
    (tmp_path / "dup.json").write_text('{"format": 1, "format": 2}')
    result = run(str(tmp_path / "dup.json"))
    assert result.returncode == 2
    assert "duplicate key" in result.stderr
    assert run(str(tmp_path / "missing.json")).returncode == 2

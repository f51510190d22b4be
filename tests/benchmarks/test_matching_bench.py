"""The recommender benchmark's quality section runs end to end (on a small market)."""

from __future__ import annotations

import argparse

import pytest

from benchmarks.matching import section_quality
from tests.matching.conftest import SMALL


def test_quality_section_reports_every_method(capsys: pytest.CaptureFixture[str]) -> None:
    state: dict = {}
    head = section_quality(argparse.Namespace(seeds=1, market=SMALL), state)
    assert head.startswith("NDCG@10 ")
    out = capsys.readouterr().out
    for method in ("recommender", "logistic", "random", "nearest", "popularity", "oracle"):
        assert method in out
    assert state["report"].mean("oracle", "ndcg@10") == pytest.approx(1.0)

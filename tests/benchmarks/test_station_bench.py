"""The station benchmark's parser section decodes every protocol's generated stream whole."""

from __future__ import annotations

from benchmarks.station import FORMS, bench_parsers


def test_every_protocol_form_decodes_its_generated_stream() -> None:
    results = bench_parsers(n_frames=300, repeat=1)
    assert [r.label for r in results] == [f[0] for f in FORMS]
    assert all(r.frames == 300 for r in results)
    assert all(r.fps > 0 for r in results)

"""The simulated scale (pure) and what the simulator answers to each protocol's requests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from station.scales import Reading
from station.scales.simulator import (
    SimulatedScale,
    Simulator,
    Step,
    corrupt,
    make_script,
    split_requests,
    with_parity,
)
from station.scales.xk3190 import command_frame
from tests.station.scales.helpers import config, proto


def scale(protocol: str = "st-gs", variant: str | None = None, **kwargs: object) -> SimulatedScale:
    cfg = config(protocol, variant)
    script = kwargs.pop("script", [Step(Decimal("1234.5"))])
    return SimulatedScale(cfg, script, **kwargs)  # type: ignore[arg-type]


def test_a_script_holds_each_weight_then_the_last_for_ever() -> None:
    s = scale(script=make_script([Decimal(0), Decimal("500"), Decimal("812.5")], 1.0))
    held = [s.at(t).weight for t in (0.5, 1.5, 2.5, 1000)]
    assert held == [Decimal(0), Decimal(500), Decimal("812.5"), Decimal("812.5")]
    assert all(s.at(t).stable for t in (0.5, 1.5, 2.5))


def test_after_each_change_the_scale_is_unstable_for_a_while() -> None:
    s = scale(script=make_script([Decimal("100"), Decimal("900")], 2.0), unstable_s=0.5)
    assert s.at(0.2).stable is False
    assert s.at(0.6).stable is True
    assert s.at(2.3).stable is False
    assert s.at(2.3).weight != Decimal("900")  # still settling
    assert s.at(2.6) == Reading(Decimal("900.0"), "kg", True, "G", Decimal("0.0"))


def test_noise_stays_within_its_divisions_on_the_division_grid() -> None:
    s = scale(noise_divisions=2, seed=7)
    values = {s.at(t / 10).weight for t in range(200)}
    assert len(values) > 1
    assert all(abs(v - Decimal("1234.5")) <= Decimal("1.0") for v in values)
    assert all(v % Decimal("0.5") == 0 for v in values)


def test_over_max_plus_nine_divisions_is_an_overload() -> None:
    assert scale(script=[Step(Decimal("3004.5"))]).at(0).error is None  # Max + 9e
    assert scale(script=[Step(Decimal("3005"))]).at(0).error == "overload"
    assert scale(script=[Step(Decimal("-10.5"))]).at(0).error == "underload"


def test_an_empty_script_is_refused() -> None:
    with pytest.raises(ValueError, match="step"):
        scale(script=[])


def simulator(protocol: str, variant: str | None = None, unstable_s: float = 0.0) -> Simulator:
    cfg = config(protocol, variant)
    return Simulator(cfg, SimulatedScale(cfg, [Step(Decimal("42.5"))], unstable_s=unstable_s))


def test_mt_sics_answers_s_si_t_z_and_refuses_the_rest() -> None:
    """1.1 `S` is answered only with a stable weight (`S I` while moving); `SI` at once."""
    sim, moving = simulator("mt-sics"), simulator("mt-sics", unstable_s=60)
    p = proto("mt-sics")
    assert p.encode(sim.reply(b"S")) == b"S S       42.5 kg\r\n"  # type: ignore[arg-type]
    assert p.encode(moving.reply(b"S")) == b"S I\r\n"  # type: ignore[arg-type]
    assert p.parse(p.encode(moving.reply(b"SI"))).stable is False  # type: ignore[arg-type]
    assert p.parse(p.encode(sim.reply(b"T"))).kind == "T"  # type: ignore[arg-type]
    assert sim.reply(b"Z") == b"Z A\r\n"
    assert sim.reply(b"XYZ") == b"ES\r\n"


def test_toledo_8217_answers_only_w() -> None:
    sim = simulator("toledo-8217")
    assert sim.reply(b"W") == Reading(Decimal("42.5"), "kg", True, "G", Decimal("0.0"))
    assert sim.reply(b"Z") is None


def test_command_mode_answers_its_address_with_a_valid_xor_only() -> None:
    sim = simulator("xk3190", "command")
    assert sim.reply(command_frame("A", b"B")).weight == Decimal("42.5")  # type: ignore[union-attr]
    assert sim.reply(command_frame("A", b"C")).kind == "T"  # type: ignore[union-attr]
    assert sim.reply(command_frame("A", b"D")).kind == "N"  # type: ignore[union-attr]
    assert sim.reply(command_frame("A", b"A")) == command_frame("A", b"A")
    assert sim.reply(command_frame("B", b"B")) is None  # another indicator's address
    assert sim.reply(b"\x02AB99\x03") is None  # garbled request


def test_requests_are_cut_out_of_what_the_host_sent() -> None:
    assert split_requests("mt-sics", b"SI\r\nS\r\nT") == ([b"SI", b"S"], b"T")
    assert split_requests("toledo-8217", b"WW\r") == ([b"W", b"W"], b"")
    frames = command_frame("A", b"B") * 2
    assert split_requests("xk3190", b"x" + frames + b"\x02A") == (
        [command_frame("A", b"B")] * 2,
        b"\x02A",
    )


def test_corrupt_changes_one_digit_so_the_checksum_fails() -> None:
    frame = b"\x02+001560019\x03"
    assert corrupt(frame) == b"\x02+101560019\x03"
    with pytest.raises(ValueError, match="checksum"):
        proto("xk3190").parse(corrupt(frame))


def test_with_parity_sets_bit_7_for_even_parity() -> None:
    assert with_parity(b"\x03\x01", odd=False) == b"\x03\x81"
    assert with_parity(b"\x03\x01", odd=True) == b"\x83\x01"

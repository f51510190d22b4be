"""The real pyserial driver reading a real pseudo-terminal, the simulator on the other end.

Stability windows are short (0.2 s, 3 readings) and the simulator streams at 50 Hz so each
test takes well under two seconds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from station.scales import ScaleConfig
from station.scales.serial_driver import ScaleDriver, ScaleTimeout
from station.scales.simulator import SimulatedScale, Simulator, Step
from tests.station.scales.helpers import config

FAST = {"stable_n": 3, "stable_t_s": 0.2}


def until(predicate: Callable[[], Any], timeout_s: float = 1.5) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition not reached in time")


@contextmanager
def rig(
    tmp_path: Path,
    protocol: str,
    variant: str | None = None,
    script: list[Step] | None = None,
    *,
    noise: int = 0,
    unstable_s: float = 0.0,
    sim: dict[str, Any] | None = None,
    **overrides: Any,
) -> Iterator[tuple[Simulator, ScaleDriver, ScaleConfig]]:
    """A simulator on a pty whose slave is reached through a symlink, and a driver on it."""
    link = str(tmp_path / "ttyScale")
    cfg = config(protocol, variant, port=link, **{**FAST, **overrides})
    scale = SimulatedScale(
        cfg, script or [Step(Decimal("1234.5"))], noise_divisions=noise, unstable_s=unstable_s
    )
    simulator = Simulator(cfg, scale, rate_hz=50, **(sim or {}))
    simulator.open_pty(link)
    driver = ScaleDriver(cfg, poll_interval_s=0.02, backoff_initial_s=0.05, backoff_max_s=0.2)
    with simulator, driver:
        yield simulator, driver, cfg


def test_the_pty_is_a_real_raw_terminal(tmp_path: Path) -> None:
    with rig(tmp_path, "st-gs") as (simulator, _, _):
        assert os.path.realpath(simulator.path).startswith("/dev/pts/")
        fd = os.open(simulator.path, os.O_RDONLY | os.O_NOCTTY)
        try:
            assert os.isatty(fd)
        finally:
            os.close(fd)


@pytest.mark.parametrize(
    ("protocol", "variant"),
    [("st-gs", None), ("xk3190", None), ("xk3190", "reversed"), ("yaohua-a12e", None)],
)
def test_a_stable_reading_arrives(tmp_path: Path, protocol: str, variant: str | None) -> None:
    """Flagged (ST,GS) and unflagged (XK3190, Yaohua: software stability) alike."""
    with rig(tmp_path, protocol, variant) as (_, driver, _):
        reading = driver.wait_stable(1.5)
        assert reading.weight == Decimal("1234.5")
        assert reading.stable is True
        status = driver.status()
        assert status.connected
        assert status.frames >= 1
        assert status.software_stability is (protocol != "st-gs")
        assert status.last_frame_at is not None
        assert status.last_frame_at.tzinfo is not None


def test_an_unstable_period_delays_stability(tmp_path: Path) -> None:
    """The platform swings for 0.5 s after the load lands; no reading is stable before."""
    with rig(tmp_path, "xk3190", unstable_s=0.5) as (simulator, driver, _):
        reading = driver.wait_stable(1.8)
        assert simulator.elapsed() >= 0.5
        assert reading.weight == Decimal("1234.5")


def test_an_unstable_flag_delays_a_flagged_scale(tmp_path: Path) -> None:
    with rig(tmp_path, "st-gs", unstable_s=0.4) as (simulator, driver, _):
        until(driver.latest)
        assert driver.latest().stable is False  # type: ignore[union-attr]
        driver.wait_stable(1.5)
        assert simulator.elapsed() >= 0.4


def test_noise_wider_than_k_divisions_is_never_stable(tmp_path: Path) -> None:
    """±5 e of noise against a ±1 e band: the driver times out and says why."""
    with rig(tmp_path, "xk3190", noise=5) as (_, driver, _):
        with pytest.raises(ScaleTimeout) as caught:
            driver.wait_stable(0.6)
        assert caught.value.reason == "unstable"
        assert "%(seconds)s" in caught.value.message


def test_noise_within_k_divisions_is_stable(tmp_path: Path) -> None:
    with rig(tmp_path, "xk3190", noise=1, stable_k=2) as (_, driver, _):
        reading = driver.wait_stable(1.5)
        assert abs(reading.weight - Decimal("1234.5")) <= Decimal("0.5")


def test_split_frames_and_garbage_are_reassembled(tmp_path: Path) -> None:
    sim = {"split_frames": True, "garbage_every": 4}
    with rig(tmp_path, "yaohua-a12e", sim=sim) as (simulator, driver, _):
        until(lambda: driver.status().frames >= 12)
        status = driver.status()
        assert status.errors >= 1  # the injected half frames
        assert driver.wait_stable(1.0).weight == Decimal("1234.5")
        assert simulator.garbage_sent >= 2


def test_a_bad_checksum_frame_is_skipped_and_counted(tmp_path: Path) -> None:
    with rig(tmp_path, "xk3190", sim={"corrupt_every": 3}) as (simulator, driver, _):
        seen: set[Decimal] = set()

        def three_bad() -> bool:
            if (reading := driver.latest()) is not None:
                seen.add(reading.weight)
            return driver.status().errors_by_reason.get("bad_checksum", 0) >= 3

        until(three_bad)
        assert simulator.corrupted >= 3
        assert seen == {Decimal("1234.5")}  # a corrupted digit never reaches latest()
        assert driver.wait_stable(1.0).weight == Decimal("1234.5")


def test_an_injected_corrupt_frame_is_counted_as_one_error(tmp_path: Path) -> None:
    with rig(tmp_path, "toledo-continuous", data_bits=7, parity="E") as (simulator, driver, _):
        driver.wait_stable(1.0)
        before = driver.status().errors
        body = b"\x02\x2c\x30\x20012345000000\r"
        simulator.inject(body + bytes(((-sum(body) + 1) & 0x7F,)))
        until(lambda: driver.status().errors > before)
        assert driver.status().last_error.startswith("bad_checksum")  # type: ignore[union-attr]
        assert driver.latest().weight == Decimal("1234.5")  # type: ignore[union-attr]


def test_disconnect_and_reconnect(tmp_path: Path) -> None:
    """The plug is pulled for 0.3 s: the driver reports it, then reads again by itself."""
    with rig(tmp_path, "st-gs") as (simulator, driver, _):
        driver.wait_stable(1.0)
        simulator.disconnect(0.3)
        until(lambda: not driver.status().connected)
        assert driver.latest() is None  # never a stale weight from a scale that is gone
        with pytest.raises(ScaleTimeout) as caught:
            driver.wait_stable(0.05)
        assert caught.value.reason == "disconnected"
        reading = driver.wait_stable(1.5)
        assert reading.weight == Decimal("1234.5")
        status = driver.status()
        assert status.connected
        assert status.reconnects >= 1
        assert status.last_error is not None


@pytest.mark.parametrize(
    ("protocol", "variant", "kind"),
    [("mt-sics", None, "N"), ("toledo-8217", None, "G"), ("xk3190", "command", "G")],
)
def test_a_request_response_scale_is_answered(
    tmp_path: Path, protocol: str, variant: str | None, kind: str
) -> None:
    overrides = {"data_bits": 7, "parity": "E"} if protocol == "toledo-8217" else {}
    with rig(tmp_path, protocol, variant, **overrides) as (simulator, driver, _):
        reading = driver.wait_stable(1.5)
        assert (reading.weight, reading.kind) == (Decimal("1234.5"), kind)
        assert simulator.requests >= 1
        assert driver.status().frames <= simulator.requests


def test_a_request_response_scale_waits_out_its_motion(tmp_path: Path) -> None:
    """Toledo 8217 answers `W` with a moving status until the weight settles."""
    with rig(tmp_path, "toledo-8217", unstable_s=0.4) as (simulator, driver, _):
        until(driver.latest)
        assert driver.latest().error == "motion"  # type: ignore[union-attr]
        driver.wait_stable(1.5)
        assert simulator.elapsed() >= 0.4


def test_a_script_of_weights_is_followed(tmp_path: Path) -> None:
    script = [Step(Decimal("0"), 0.3), Step(Decimal("812.5"))]
    with rig(tmp_path, "st-gs", script=script) as (_, driver, _):
        until(lambda: (r := driver.latest()) and r.weight == Decimal("812.5"))
        assert driver.wait_stable(1.0).weight == Decimal("812.5")


def test_an_overloaded_scale_gives_no_stable_reading(tmp_path: Path) -> None:
    with rig(tmp_path, "st-gs", script=[Step(Decimal("3100"))]) as (_, driver, _):
        with pytest.raises(ScaleTimeout) as caught:
            driver.wait_stable(0.4)
        assert caught.value.reason == "scale_error"
        assert caught.value.scale_error == "overload"
        assert caught.value.params == {"error": "超载"}


def test_a_port_that_does_not_exist_is_retried(tmp_path: Path) -> None:
    cfg = config("st-gs", port=str(tmp_path / "missing"), **FAST)
    with ScaleDriver(cfg, backoff_initial_s=0.02, backoff_max_s=0.05) as driver:
        with pytest.raises(ScaleTimeout) as caught:
            driver.wait_stable(0.2)
        assert caught.value.reason == "disconnected"
        status = driver.status()
        assert not status.connected
        assert status.last_error.startswith("open:")


def test_a_silent_scale_times_out_with_no_reading(tmp_path: Path) -> None:
    """The port opens but the scale says nothing (wrong protocol or baud, output off)."""
    link = str(tmp_path / "ttySilent")
    cfg = config("st-gs", port=link, **FAST)
    silent = Simulator(cfg, SimulatedScale(cfg, [Step(Decimal(1))]))
    silent.open_pty(link)  # opened, never started
    try:
        with ScaleDriver(cfg) as driver:
            until(lambda: driver.status().connected)
            with pytest.raises(ScaleTimeout) as caught:
                driver.wait_stable(0.2)
            assert caught.value.reason == "no_reading"
    finally:
        silent.stop()


def test_close_stops_the_thread(tmp_path: Path) -> None:
    with rig(tmp_path, "st-gs") as (_, driver, _):
        driver.wait_stable(1.0)
    assert driver._thread is not None
    assert not driver._thread.is_alive()
    assert not driver.status().connected

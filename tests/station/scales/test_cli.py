"""`flask station simulate` and `flask station read-scale`, on real pseudo-terminals."""

from __future__ import annotations

import os
import select
import time
import tty
from decimal import Decimal
from pathlib import Path
from threading import Thread

from click.testing import CliRunner

from station.cli import station_cli
from station.scales import Reading
from station.scales.simulator import SimulatedScale, Simulator, Step
from tests.station.scales.helpers import config, proto


def drain(fd: int, timeout_s: float = 0.2) -> bytes:
    data = b""
    while select.select([fd], [], [], timeout_s)[0]:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data


def test_simulate_writes_frames_to_a_port() -> None:
    """--port: the simulator opens the slave of our pty; we read its frames on the master."""
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        result = CliRunner().invoke(
            station_cli,
            ["simulate", "--protocol", "xk3190", "--variant", "reversed", "--weight", "1234.5",
             "--port", os.ttyname(slave), "--rate", "50", "--duration", "0.3"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert os.ttyname(slave) in result.output
        out = proto("xk3190", "reversed").decoder().feed(drain(master))
    finally:
        os.close(master)
        os.close(slave)
    readings = [r for r in out if isinstance(r, Reading)]
    assert len(readings) >= 5
    assert {r.weight for r in readings} == {Decimal("1234.5")}


def test_simulate_on_a_pty_prints_the_path_and_streams_on_it(tmp_path: Path) -> None:
    """--pty --link: what the station opens appears while the simulator runs."""
    link = tmp_path / "ttySim"
    results = []
    argv = ["simulate", "--protocol", "st-gs", "--weight", "55.5", "--pty", "--link", str(link)]
    argv += ["--rate", "50", "--duration", "0.6"]
    thread = Thread(target=lambda: results.append(CliRunner().invoke(station_cli, argv)))
    thread.start()
    deadline = time.monotonic() + 1
    while not link.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    fd = os.open(link, os.O_RDONLY | os.O_NOCTTY)
    try:
        tty.setraw(fd)
        data = drain(fd, 0.3)
    finally:
        os.close(fd)
    thread.join(2)
    assert results[0].exit_code == 0, results[0].output
    assert str(link) in results[0].output
    readings = [r for r in proto("st-gs").decoder().feed(data) if isinstance(r, Reading)]
    assert readings
    assert all(r.weight == Decimal("55.5") for r in readings)


def test_simulate_needs_exactly_one_link() -> None:
    result = CliRunner().invoke(station_cli, ["simulate", "--protocol", "st-gs", "--weight", "1"])
    assert result.exit_code == 2
    assert "--port" in result.output


def test_bad_settings_are_usage_errors_naming_the_option() -> None:
    for args, option in [
        (["--division", "0"], "--division"),
        (["--variant", "sideways"], "--variant"),
        (["--weight", "abc"], "--weight"),
    ]:
        argv = ["simulate", "--protocol", "st-gs", "--pty", *args]
        if "--weight" not in args:
            argv += ["--weight", "1"]
        result = CliRunner().invoke(station_cli, argv)
        assert result.exit_code == 2, (args, result.output)
        assert option in result.output, (args, result.output)


def test_read_scale_prints_a_recordable_weight(tmp_path: Path) -> None:
    link = str(tmp_path / "ttyRead")
    cfg = config("xk3190", "command", port=link)
    simulator = Simulator(cfg, SimulatedScale(cfg, [Step(Decimal("812.5"))]))
    simulator.open_pty(link)
    with simulator:
        result = CliRunner().invoke(
            station_cli,
            ["read-scale", "--protocol", "xk3190", "--variant", "command", "--port", link,
             "--stable-t-s", "0.5", "--stable-n", "3", "--timeout", "1.8"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "812.5 kg kind=G" in result.output
    assert "recordable: 812.5 kg" in result.output


def test_read_scale_explains_a_missing_scale(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        station_cli,
        ["read-scale", "--protocol", "st-gs", "--port", str(tmp_path / "none"), "--timeout", "0.2"],
    )
    assert result.exit_code == 1
    assert "秤未连接" in result.output
    assert "disconnected" in result.output

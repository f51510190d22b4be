"""`flask station …`: the scale simulator and a scale reader, for demonstrations without
hardware and for checking a real scale's wiring by hand.

    flask station simulate --protocol xk3190 --variant reversed --pty --weight 1234.5
    flask station read-scale --protocol xk3190 --variant reversed --port /dev/pts/7

Neither touches the database, so they run without an application context.
"""

from __future__ import annotations

import signal
import threading
from decimal import Decimal, InvalidOperation
from typing import Any

import click
from flask.cli import AppGroup

from station.scales.base import VARIANTS, ScaleConfig, ScaleConfigError

station_cli = AppGroup("station", help="回收站与地磅 / Station and scales.")


class DecimalType(click.ParamType):
    """A Decimal option: weights and divisions are never floats."""

    name = "decimal"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, Decimal):
            return value
        try:
            result = Decimal(str(value))
        except InvalidOperation:
            self.fail(f"{value!r} is not a number", param, ctx)
        if not result.is_finite():
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return result


DECIMAL = DecimalType()
UNITS = ["g", "kg", "t"]
OPTION_OF = {"division_kg": "division", "capacity_kg": "capacity"}  # config field → option


def scale_options(function: Any) -> Any:
    """The serial and metrological settings both commands share."""
    options = [
        click.option(
            "--protocol", required=True, type=click.Choice(sorted(VARIANTS)), help="frame format"
        ),
        click.option("--variant", default=None, help="reversed/forward/command (xk3190), …"),
        click.option("--baud", default=9600, show_default=True, type=int),
        click.option("--parity", default=None, help="N/E/O (default: E for Toledo, else N)"),
        click.option("--data-bits", default=None, type=int, help="default: 7 for Toledo, else 8"),
        click.option("--division", default="0.5", show_default=True, type=DECIMAL, help="e, kg"),
        click.option("--capacity", default="3000", show_default=True, type=DECIMAL, help="kg"),
        click.option("--unit", default="kg", show_default=True, type=click.Choice(UNITS)),
        click.option("--address", default="A", show_default=True, help="command-mode address"),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def build_config(port: str, **options: Any) -> ScaleConfig:
    """A ScaleConfig from command-line options; a bad setting is a usage error naming it."""
    toledo = options["protocol"].startswith("toledo")
    try:
        return ScaleConfig(
            protocol=options["protocol"],
            variant=options["variant"],
            port=port,
            baud=options["baud"],
            parity=options["parity"] or ("E" if toledo else "N"),
            data_bits=options["data_bits"] or (7 if toledo else 8),
            division_kg=options["division"],
            capacity_kg=options["capacity"],
            unit=options["unit"],
            address=options["address"],
            stable_n=options.get("stable_n", 5),
            stable_k=options.get("stable_k", 1),
            stable_t_s=options.get("stable_t_s", 3.0),
        )
    except ScaleConfigError as exc:
        option = OPTION_OF.get(exc.field, exc.field.replace("_", "-"))
        raise click.BadParameter(str(exc), param_hint=f"--{option}") from exc


@station_cli.command("simulate", with_appcontext=False)
@scale_options
@click.option("--port", "port", default=None, help="write to this serial port (or pyserial URL)")
@click.option("--pty", "use_pty", is_flag=True, help="create a pseudo-terminal and print its path")
@click.option("--link", default=None, help="with --pty: also a symlink to the slave at this path")
@click.option(
    "--weight",
    "weights",
    multiple=True,
    required=True,
    type=DECIMAL,
    help="target weight in the unit; repeat for a script, each held --hold-s seconds",
)
@click.option("--hold-s", default=10.0, show_default=True, type=float)
@click.option("--noise-divisions", default=0, show_default=True, type=click.IntRange(0, 1000))
@click.option("--unstable-s", default=0.0, show_default=True, type=click.FloatRange(0))
@click.option("--rate", default=10.0, show_default=True, type=click.FloatRange(0.1, 1000))
@click.option("--split", is_flag=True, help="write each frame in two or three pieces")
@click.option("--garbage-every", default=0, type=click.IntRange(0), help="noise every N frames")
@click.option("--corrupt-every", default=0, type=click.IntRange(0), help="bad frame every N")
@click.option("--duration", default=None, type=click.FloatRange(0), help="stop after seconds")
@click.option("--seed", default=0, show_default=True, type=int)
def simulate(
    port: str | None,
    use_pty: bool,
    link: str | None,
    weights: tuple[Decimal, ...],
    hold_s: float,
    noise_divisions: int,
    unstable_s: float,
    rate: float,
    split: bool,
    garbage_every: int,
    corrupt_every: int,
    duration: float | None,
    seed: int,
    **options: Any,
) -> None:
    """Run a simulated scale that speaks PROTOCOL until interrupted (or for --duration)."""
    from station.scales.simulator import SimulatedScale, Simulator, make_script

    if use_pty == (port is not None):
        raise click.UsageError("give exactly one of --port PATH and --pty")
    config = build_config(port or "pty", **options)
    scale = SimulatedScale(
        config,
        make_script(list(weights), hold_s),
        noise_divisions=noise_divisions,
        unstable_s=unstable_s,
        seed=seed,
    )
    simulator = Simulator(
        config,
        scale,
        rate_hz=rate,
        split_frames=split,
        garbage_every=garbage_every,
        corrupt_every=corrupt_every,
        seed=seed,
    )
    try:
        path = simulator.open_pty(link) if use_pty else simulator.open_port()
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot open {port or 'a pty'}: {exc}") from exc
    click.echo(path, nl=True)
    click.echo(
        f"simulating {config.protocol}{'/' + config.variant if config.variant else ''} "
        f"at {', '.join(str(w) for w in weights)} {config.unit}; Ctrl-C stops",
        err=True,
    )
    stop = threading.Event()
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if main else None
    simulator.start()
    try:
        stop.wait(duration)
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
        if main:
            signal.signal(signal.SIGTERM, previous)
    click.echo(f"sent {simulator.frames_sent} frame(s), answered {simulator.requests}", err=True)


@station_cli.command("read-scale", with_appcontext=False)
@scale_options
@click.option("--port", required=True, help="serial port, pty or pyserial URL")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(0))
@click.option("--stable-n", default=5, show_default=True, type=click.IntRange(1))
@click.option("--stable-k", default=1, show_default=True, type=click.IntRange(0))
@click.option("--stable-t-s", default=3.0, show_default=True, type=click.FloatRange(0))
def read_scale(port: str, timeout: float, **options: Any) -> None:
    """Wait for one stable reading and say whether it may be recorded."""
    from station.scales.checks import check_reading, weight_kg
    from station.scales.serial_driver import ScaleDriver, ScaleTimeout

    config = build_config(port, **options)
    with ScaleDriver(config) as driver:
        try:
            reading = driver.wait_stable(timeout)
        except ScaleTimeout as exc:
            status = driver.status()
            raise click.ClickException(
                f"{exc.message % exc.params} ({exc.reason}; frames {status.frames}, "
                f"errors {status.errors}, last error {status.last_error})"
            ) from exc
    refusal = check_reading(reading, config)
    click.echo(f"{reading.weight} {reading.unit or config.unit} kind={reading.kind or '-'}")
    if refusal is None:
        click.echo(f"recordable: {weight_kg(reading, config)} kg")
    else:
        click.echo(f"refused ({refusal.code}): {refusal.text()}")

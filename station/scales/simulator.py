"""A scale that is not there: speaks every protocol on a pseudo-terminal or a serial port, so
the station can be demonstrated without hardware and the tests drive the real driver.

`SimulatedScale` is the pure part (what the scale shows at time t: a script of target
weights, an unstable period after each change, noise of ± some divisions, overload past
Max + 9e). `Simulator` is the I/O: continuous protocols stream at `rate_hz`, request/response
protocols answer what they are asked; frames can be split across writes, garbage and corrupt
frames injected, the link dropped and brought back.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import select
import threading
import time
import tty
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import serial

from station.scales import protocol_for
from station.scales.base import (
    BUSY,
    KG_PER_UNIT,
    MT_SICS,
    OVERLOAD,
    TOLEDO_8217,
    UNDERLOAD,
    XK3190,
    Reading,
    ScaleConfig,
    check_hex2,
    xor,
)
from station.scales.xk3190 import command_frame


@dataclass(frozen=True)
class Step:
    """Show `weight` (in the configured unit) for `hold_s` seconds."""

    weight: Decimal
    hold_s: float = math.inf


class SimulatedScale:
    """What the platform shows at a time: pure, seeded, so tests are repeatable."""

    def __init__(
        self,
        config: ScaleConfig,
        script: Sequence[Step],
        *,
        noise_divisions: int = 0,
        unstable_s: float = 0.0,
        tare: Decimal = Decimal(0),
        seed: int = 0,
    ) -> None:
        if not script:
            raise ValueError("a script needs at least one step")
        self.config = config
        self.script = list(script)
        self.noise = noise_divisions
        self.unstable_s = unstable_s
        self.tare = tare
        self._random = random.Random(seed)
        factor = KG_PER_UNIT[config.unit]
        self.division = config.division_kg / factor  # e in the configured unit
        self._exponent = Decimal(1).scaleb(min(0, self.division.normalize().as_tuple().exponent))  # type: ignore[operator]
        self.capacity = config.capacity_kg / factor

    def quantize(self, value: Decimal) -> Decimal:
        """Round to a whole number of divisions, written with the division's decimals."""
        steps = (value / self.division).to_integral_value()
        return (steps * self.division).quantize(self._exponent)

    def _step_at(self, t: float) -> tuple[Decimal, Decimal, float]:
        """(previous target, current target, seconds into the current step)."""
        previous, start = Decimal(0), 0.0
        for step in self.script:
            if t < start + step.hold_s or step is self.script[-1]:
                return previous, step.weight, t - start
            previous, start = step.weight, start + step.hold_s
        raise AssertionError("unreachable")

    def at(self, t: float) -> Reading:
        """The reading at `t` seconds after the script started (gross, with its tare)."""
        previous, target, into = self._step_at(t)
        stable = into >= self.unstable_s
        if stable:
            value = target
        else:  # settling: part of the way there, swinging by a few percent of the change
            frac = Decimal(into / self.unstable_s) if self.unstable_s else Decimal(1)
            swing = max(abs(target - previous) / 20, self.division * 10)
            value = previous + (target - previous) * frac
            value += swing * Decimal(math.sin(into * 19)).quantize(Decimal("0.001"))
        if self.noise:
            value += self.division * self._random.randint(-self.noise, self.noise)
        weight = self.quantize(value)
        error = None
        if weight > self.capacity + 9 * self.division:
            error = OVERLOAD
        elif weight < -20 * self.division:
            error = UNDERLOAD
        return Reading(weight, self.config.unit, stable, "G", self.quantize(self.tare), error)


class _Pty:
    """The master end of a pseudo-terminal pair (and a held slave fd, so the slave's raw
    settings persist while the driver opens and closes it)."""

    def __init__(self, link: str | None) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)
        if link:
            tmp = f"{link}.tmp{os.getpid()}"
            if os.path.lexists(tmp):
                os.unlink(tmp)
            os.symlink(self.path, tmp)
            os.replace(tmp, link)

    def write(self, data: bytes) -> None:
        # nobody reading and the buffer full: a real scale does not care either
        with contextlib.suppress(OSError):
            os.write(self.master, data)

    def read(self, timeout_s: float) -> bytes:
        ready, _, _ = select.select([self.master], [], [], timeout_s)
        if not ready:
            return b""
        try:
            return os.read(self.master, 4096)
        except (BlockingIOError, OSError):
            time.sleep(timeout_s)  # EIO: no slave open yet
            return b""

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class _Port:
    """A serial port (or any pyserial URL) the simulator writes to."""

    def __init__(self, config: ScaleConfig) -> None:
        self.path = config.port
        self.port = serial.serial_for_url(
            config.port,
            baudrate=config.baud,
            bytesize=config.data_bits,
            parity=config.parity,
            stopbits=config.stop_bits,
            timeout=0,
            write_timeout=0.5,
        )

    def write(self, data: bytes) -> None:
        with contextlib.suppress(serial.SerialException, OSError):
            self.port.write(data)

    def read(self, timeout_s: float) -> bytes:
        self.port.timeout = timeout_s
        try:
            return bytes(self.port.read(self.port.in_waiting or 1))
        except (serial.SerialException, OSError):
            time.sleep(timeout_s)
            return b""

    def close(self) -> None:
        self.port.close()


def with_parity(data: bytes, odd: bool) -> bytes:
    """Set bit 7 to the even (or odd) parity of the low 7 bits, as a 7E1 device sends."""
    return bytes(b | ((bin(b).count("1") + odd) & 1) << 7 for b in data)


class Simulator:
    """Runs a SimulatedScale on a link in a thread. Open a pty with `open_pty()` (the slave
    path is what the station opens) or a port with `open_port()`, then `start()`."""

    def __init__(
        self,
        config: ScaleConfig,
        scale: SimulatedScale,
        *,
        rate_hz: float = 10.0,
        split_frames: bool = False,
        garbage_every: int = 0,
        corrupt_every: int = 0,
        reply_delay_s: float = 0.002,
        seed: int = 0,
    ) -> None:
        self.config = config
        self.scale = scale
        self.protocol = protocol_for(config)
        self.rate_hz = rate_hz
        self.split_frames = split_frames
        self.garbage_every = garbage_every
        self.corrupt_every = corrupt_every
        self.reply_delay_s = reply_delay_s
        self._random = random.Random(seed)
        self._parity = config.data_bits == 7 and config.parity in ("E", "O")
        self._link: _Pty | _Port | None = None
        self._link_path: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._down_s: float | None = None
        self._thread: threading.Thread | None = None
        self._t0 = time.monotonic()
        self._inbox = b""
        self.frames_sent = 0
        self.corrupted = 0
        self.garbage_sent = 0
        self.requests = 0

    # -- links ----------------------------------------------------------------------------

    def open_pty(self, link: str | None = None) -> str:
        """Create a pty pair and return the slave path; with `link`, also point a symlink at
        it (as udev's /dev/serial/by-id/… does), so a reconnect keeps the same name."""
        self._link_path = link
        self._link = _Pty(link)
        return link or self._link.path

    def open_port(self) -> str:
        """Write to the configured port (e.g. one end of a null-modem pair)."""
        self._link = _Port(self.config)
        return self._link.path

    @property
    def path(self) -> str:
        """What the station should open."""
        assert self._link is not None
        return self._link_path or self._link.path

    # -- control --------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Start streaming or answering; the script's clock starts now."""
        if self._link is None:
            raise RuntimeError("open_pty() or open_port() first")
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="scale simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop and close the link (a pty's slave path disappears)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
        with self._lock:
            if self._link is not None:
                self._link.close()
                self._link = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def disconnect(self, down_s: float) -> None:
        """Pull the plug for `down_s` seconds: close the link (the driver's reads fail), then
        open a fresh one (a pty is re-created and the symlink re-pointed)."""
        with self._lock:
            self._down_s = down_s

    def inject(self, data: bytes) -> None:
        """Write raw bytes now (a corrupt frame, noise, half a frame)."""
        with self._lock:
            if self._link is not None:
                self._link.write(data)

    def elapsed(self) -> float:
        """Seconds since the script started."""
        return time.monotonic() - self._t0

    # -- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        period = 1.0 / self.rate_hz
        next_frame = time.monotonic()
        continuous = self.protocol.request() is None
        while not self._stop.is_set():
            self._maybe_reconnect()
            with self._lock:
                link = self._link
            if link is None:
                return
            now = time.monotonic()
            if continuous:
                if now >= next_frame:
                    self._send(self.scale.at(now - self._t0), link)
                    next_frame = max(next_frame + period, now - period)
                wait = max(0.0, min(next_frame - time.monotonic(), 0.05))
                data = link.read(wait)  # drain whatever the driver writes to us
            else:
                data = link.read(0.02)
                if data:
                    self._answer(data, link)

    def _maybe_reconnect(self) -> None:
        with self._lock:
            down_s, self._down_s = self._down_s, None
            if down_s is None or self._link is None:
                return
            was_pty = isinstance(self._link, _Pty)
            self._link.close()
            self._link = None
            if was_pty and self._link_path and os.path.islink(self._link_path):
                os.unlink(self._link_path)  # as udev removes /dev/serial/by-id/… on unplug
        if self._stop.wait(down_s):
            return
        with self._lock:
            self._link = _Pty(self._link_path) if was_pty else _Port(self.config)

    def _write(self, data: bytes, link: _Pty | _Port) -> None:
        if self._parity:
            data = with_parity(data, odd=self.config.parity == "O")
        if self.split_frames and len(data) > 2:
            cuts = sorted(self._random.sample(range(1, len(data)), min(2, len(data) - 1)))
            for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True):
                link.write(data[a:b])
                time.sleep(0.002)
            return
        link.write(data)

    def _send(self, reading: Reading, link: _Pty | _Port) -> None:
        try:
            frame = self.protocol.encode(reading)
        except ValueError:
            return  # this protocol cannot say it (e.g. overload on an XK3190 STX frame)
        self.frames_sent += 1
        if self.garbage_every and self.frames_sent % self.garbage_every == 0:
            self.garbage_sent += 1
            self._write(b"\x00\xff#" + frame[: len(frame) // 2], link)  # noise and half a frame
        if self.corrupt_every and self.frames_sent % self.corrupt_every == 0:
            self.corrupted += 1
            frame = corrupt(frame)
        self._write(frame, link)

    def _answer(self, data: bytes, link: _Pty | _Port) -> None:
        self._inbox += data
        requests, self._inbox = split_requests(self.config.protocol, self._inbox)
        for request in requests:
            self.requests += 1
            reply = self.reply(request)
            if reply is None:
                continue
            time.sleep(self.reply_delay_s)
            if isinstance(reply, bytes):
                self._write(reply, link)
            else:
                self._send(reply, link)

    def reply(self, request: bytes) -> Reading | bytes | None:
        """What a request/response scale answers `request` with: a reading to encode, the
        bytes of an acknowledgement, or None (no answer, as to a garbled request)."""
        reading = self.scale.at(self.elapsed())
        protocol = self.config.protocol
        if protocol == MT_SICS:
            command = (request.split() or [b""])[0]
            if command in (b"SI", b"SIR"):
                return reading
            if command == b"S":  # S answers only a stable weight
                return reading if reading.stable else Reading(Decimal(0), error=BUSY)
            if command in (b"T", b"TI"):
                return Reading(reading.weight, reading.unit, reading.stable, "T")
            if command == b"Z":
                return b"Z A\r\n"
            return b"ES\r\n"
        if protocol == TOLEDO_8217:
            return reading if request == b"W" else None
        if protocol == XK3190:
            if len(request) != 6 or request[1] != ord(self.config.address):
                return None
            try:
                check_hex2(xor(request[1:3]), request[3:5], request)
            except ValueError:
                return None
            tare = reading.tare or Decimal(0)
            command = request[2:3]
            if command == b"A":
                return command_frame(self.config.address, b"A")
            if command == b"B":
                return reading
            if command == b"C":
                return Reading(tare, kind="T")
            if command == b"D":
                net = reading.weight - tare
                return Reading(net, None, reading.stable, "N", None, reading.error)
        return None


def split_requests(protocol: str, inbox: bytes) -> tuple[list[bytes], bytes]:
    """Cut what the host sent into whole requests; return them and the incomplete rest."""
    if protocol == TOLEDO_8217:
        return [bytes((b,)) for b in inbox.translate(None, b"\r\n")], b""
    if protocol == XK3190:
        out = []
        while (stx := inbox.find(b"\x02")) >= 0 and (etx := inbox.find(b"\x03", stx)) >= 0:
            out.append(inbox[stx : etx + 1])
            inbox = inbox[etx + 1 :]
        return out, inbox[inbox.find(b"\x02") :] if b"\x02" in inbox else b""
    lines = inbox.split(b"\n")
    return [line.rstrip(b"\r") for line in lines[:-1] if line.strip()], lines[-1]


def corrupt(frame: bytes) -> bytes:
    """Change the first weight digit, so a checksummed frame fails its check."""
    for i in range(1, len(frame)):
        if 0x30 <= frame[i] <= 0x39:
            return frame[:i] + bytes((0x30 + (frame[i] - 0x2F) % 10,)) + frame[i + 1 :]
    return frame


def make_script(weights: Sequence[Decimal], hold_s: float) -> list[Step]:
    """Each weight held for `hold_s`, the last one for ever."""
    return [Step(w, hold_s) for w in weights[:-1]] + [Step(weights[-1])]

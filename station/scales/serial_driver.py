"""The pyserial driver: one thread per configured scale, reading for as long as it runs.

It opens the port with `serial.serial_for_url` (a device, a pty, `socket://host:port` for a
serial server, `rfc2217://…`), sends the protocol's request periodically when the protocol
only answers, decodes the stream (resynchronising after garbage), decides stability in
software when the frames carry no flag, and survives the port vanishing: it closes, waits
(0.1 s, doubling to 5 s) and opens again, for as long as it runs.

Services never open ports: they receive a driver and call `wait_stable`, then check the
reading with `station.scales.checks` before recording it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import serial

from core.i18n import N_
from core.time import utcnow
from station.scales import protocol_for
from station.scales.base import KG_PER_UNIT, FrameError, Protocol, Reading, ScaleConfig
from station.scales.checks import ERROR_LABELS
from station.scales.stability import StabilityDetector

WAIT_MESSAGES: dict[str, str] = {
    "disconnected": N_("秤未连接（%(port)s），请检查电缆、电源和串口设置。"),
    "no_reading": N_("秤没有发送可读的数据（%(port)s），请检查协议和波特率设置。"),
    "unstable": N_("%(seconds)s 秒内秤没有稳定，请等秤台静止后重试。"),
    "scale_error": N_("秤报告错误（%(error)s），没有重量。"),
}


class ScaleTimeout(TimeoutError):
    """No stable reading in time; `reason` says why (a key of WAIT_MESSAGES) and `params`
    fills its message."""

    def __init__(self, reason: str, params: dict[str, str], scale_error: str | None = None) -> None:
        super().__init__(f"{reason}: {params}")
        self.reason = reason
        self.params = params
        self.scale_error = scale_error  # the Reading.error code, for "scale_error"

    @property
    def message(self) -> str:
        """The Chinese msgid (translate, then fill in `params`)."""
        return WAIT_MESSAGES[self.reason]


@dataclass(frozen=True)
class ScaleStatus:
    """What a station dashboard shows about one scale."""

    port: str
    protocol: str
    connected: bool
    last_frame_at: datetime | None  # UTC
    last_frame_age_s: float | None
    frames: int
    errors: int
    errors_by_reason: dict[str, int]  # bad_checksum, garbage, …
    reconnects: int
    last_error: str | None
    software_stability: bool
    latest: Reading | None


def open_serial(config: ScaleConfig, timeout_s: float) -> Any:
    """Open the configured port (any pyserial URL) with its line settings."""
    return serial.serial_for_url(
        config.port,
        baudrate=config.baud,
        bytesize=config.data_bits,
        parity=config.parity,
        stopbits=config.stop_bits,
        timeout=timeout_s,
        write_timeout=1.0,
    )


class ScaleDriver:
    """Reads one scale continuously in a thread; thread-safe; `close()` stops it."""

    def __init__(
        self,
        config: ScaleConfig,
        *,
        poll_interval_s: float = 0.2,
        reply_timeout_s: float = 1.0,
        read_timeout_s: float = 0.05,
        stale_after_s: float = 2.0,
        backoff_initial_s: float = 0.1,
        backoff_max_s: float = 5.0,
        opener: Callable[[ScaleConfig, float], Any] = open_serial,
    ) -> None:
        self.config = config
        self.protocol: Protocol = protocol_for(config)
        self._request = self.protocol.request()
        self._software = not self.protocol.stability_flag
        self._poll_s = poll_interval_s
        self._reply_timeout_s = reply_timeout_s
        self._read_timeout_s = read_timeout_s
        self._stale_s = stale_after_s
        self._backoff = (backoff_initial_s, backoff_max_s)
        self._opener = opener
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connected = False
        self._latest: Reading | None = None
        self._latest_t: float | None = None
        self._latest_at: datetime | None = None
        self._frames = self._errors = self._reconnects = 0
        self._by_reason: dict[str, int] = {}
        self._last_error: str | None = None
        self._stability = StabilityDetector(
            config.division_kg, config.stable_n, config.stable_k, config.stable_t_s
        )

    # -- life cycle -----------------------------------------------------------------------

    def start(self) -> ScaleDriver:
        """Start the reading thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"scale {self.config.port}", daemon=True
            )
            self._thread.start()
        return self

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop reading and close the port."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def __enter__(self) -> ScaleDriver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what callers read ----------------------------------------------------------------

    def latest(self) -> Reading | None:
        """The newest reading, or None when disconnected or nothing came for `stale_after_s`."""
        with self._cond:
            return self._fresh(time.monotonic())

    def status(self) -> ScaleStatus:
        """Connection, last frame time and the frame / error / reconnect counts."""
        now = time.monotonic()
        with self._cond:
            return ScaleStatus(
                port=self.config.port,
                protocol=self.config.protocol,
                connected=self._connected,
                last_frame_at=self._latest_at,
                last_frame_age_s=None if self._latest_t is None else now - self._latest_t,
                frames=self._frames,
                errors=self._errors,
                errors_by_reason=dict(self._by_reason),
                reconnects=self._reconnects,
                last_error=self._last_error,
                software_stability=self._software,
                latest=self._fresh(now),
            )

    def wait_stable(self, timeout_s: float) -> Reading:
        """The current stable reading, waiting up to `timeout_s`; ScaleTimeout says why not."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                now = time.monotonic()
                reading = self._fresh(now)
                if reading is not None and reading.stable is True and reading.error is None:
                    return reading
                if now >= deadline or self._stop.is_set():
                    raise self._timeout(reading, timeout_s)
                self._cond.wait(deadline - now)

    def _fresh(self, now: float) -> Reading | None:
        if not self._connected or self._latest_t is None or now - self._latest_t > self._stale_s:
            return None
        return self._latest

    def _timeout(self, reading: Reading | None, timeout_s: float) -> ScaleTimeout:
        port = self.config.port
        if not self._connected:
            return ScaleTimeout("disconnected", {"port": port})
        if reading is None:
            return ScaleTimeout("no_reading", {"port": port})
        if reading.error is not None:
            label = ERROR_LABELS.get(reading.error, reading.error)
            return ScaleTimeout("scale_error", {"error": label}, reading.error)
        return ScaleTimeout("unstable", {"seconds": f"{timeout_s:g}"})

    # -- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        backoff = self._backoff[0]
        first = True
        while not self._stop.is_set():
            try:
                port = self._opener(self.config, self._read_timeout_s)
            except (serial.SerialException, OSError, ValueError) as exc:
                self._note_error(f"open: {exc}")
            else:
                if not first:
                    with self._cond:
                        self._reconnects += 1
                first = False
                got_frames = self._read(port)
                if got_frames:
                    backoff = self._backoff[0]
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self._backoff[1])

    def _read(self, port: Any) -> bool:
        """Read until the port fails or the driver stops; whether any frame arrived."""
        decoder = self.protocol.decoder()
        self._stability.reset()
        with self._cond:
            self._connected = True
            self._cond.notify_all()
        got_frames = False
        sent_at: float | None = None
        next_request = 0.0
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if self._request is not None and (
                    (sent_at is None and now >= next_request)
                    or (sent_at is not None and now - sent_at > self._reply_timeout_s)
                ):
                    port.write(self._request)
                    sent_at, next_request = now, now + self._poll_s
                data = port.read(port.in_waiting or 1)
                if not data:
                    continue
                items = decoder.feed(data)
                if items:
                    got_frames = self._handle(items) or got_frames
                    sent_at = None
        except (serial.SerialException, OSError) as exc:
            self._note_error(f"read: {exc}")
        finally:
            with self._cond:
                self._connected = False
                self._cond.notify_all()
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()
        return got_frames

    def _handle(self, items: list[Reading | FrameError]) -> bool:
        now = time.monotonic()
        got = False
        for item in items:
            if isinstance(item, FrameError):
                self._note_error(f"{item.reason}: {item.detail}", reason=item.reason)
                continue
            got = True
            if self._software:
                item = self._software_stable(item, now)
            with self._cond:
                self._frames += 1
                self._latest, self._latest_t, self._latest_at = item, now, utcnow()
                self._cond.notify_all()
        return got

    def _software_stable(self, reading: Reading, now: float) -> Reading:
        factor = KG_PER_UNIT.get((reading.unit or self.config.unit).lower())
        if reading.error is not None or factor is None:
            self._stability.reset()  # an error or an unknown unit breaks the run
            return reading
        stable = self._stability.feed(reading.weight * factor, now)
        return replace(reading, stable=stable)

    def _note_error(self, message: str, reason: str | None = None) -> None:
        with self._cond:
            if reason is not None:
                self._errors += 1
                self._by_reason[reason] = self._by_reason.get(reason, 0) + 1
            self._last_error = message

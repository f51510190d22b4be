"""What every scale protocol shares: the reading, the frame error, the configuration, the
protocol interface and the stream decoders that split frames out of a serial byte stream.

Pure: no Flask, no database, no pyserial. A protocol is built from a `ScaleConfig` because
some frames can only be read with configuration (the XK3190 "=" digit order, a unitless
frame's unit, a command-mode address); everything else comes from the bytes.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

# Protocol names, identical to station.models.ScaleProtocol values (a test keeps them equal;
# the pure core may not import the model).
MT_SICS = "mt-sics"
TOLEDO_CONTINUOUS = "toledo-continuous"
TOLEDO_8217 = "toledo-8217"
XK3190 = "xk3190"
YAOHUA_A12E = "yaohua-a12e"
ST_GS = "st-gs"

# Which `variant` values each protocol accepts; None is the default form. Nothing in an
# XK3190 "=" frame tells its digit order apart, so it must be configured.
VARIANTS: Mapping[str, frozenset[str | None]] = {
    MT_SICS: frozenset({None}),
    TOLEDO_CONTINUOUS: frozenset({None, "checksum", "no-checksum"}),
    TOLEDO_8217: frozenset({None}),
    XK3190: frozenset({None, "reversed", "forward", "command"}),
    YAOHUA_A12E: frozenset({None, "a12"}),
    ST_GS: frozenset({None, "no-unit"}),
}

# Reading.error values: why a frame carries no usable weight.
OVERLOAD = "overload"
UNDERLOAD = "underload"
BUSY = "busy"  # MT-SICS `S I`: not executable now
SYNTAX = "syntax"  # MT-SICS `ES`
TRANSMISSION = "transmission"  # MT-SICS `ET`
LOGICAL = "logical"  # MT-SICS `EL`
MOTION = "motion"  # Toledo 8217 status reply: moving, no weight sent
NEGATIVE = "negative"  # Toledo 8217 status reply: below zero, no weight sent
ZERO_RANGE = "zero_range"  # Toledo 8217 status reply: outside the zero-capture range
NO_WEIGHT = "no_weight"  # a status reply without any of the above
ACK = "ack"  # a command was acknowledged (MT-SICS `Z A`, XK3190 handshake): no weight

# Units a station may configure: the legal units of mass in China (法定计量单位).
KG_PER_UNIT: Mapping[str, Decimal] = {"g": Decimal("0.001"), "kg": Decimal(1), "t": Decimal(1000)}

JUNK_LIMIT = 256
MASK7 = bytes(b & 0x7F for b in range(256))  # bytes.translate table: drop bit 7 (7E1 parity)


@dataclass(frozen=True, slots=True)
class Reading:
    """One frame as the scale meant it.

    `weight` is 0 when `error` is set and the frame carries no weight (an overload frame has
    no number): such a reading must never be recorded, which `checks` enforces. `stable` is
    None when the protocol has no stability flag (the driver then decides in software);
    `unit` is None when the frame has none (the configured unit applies).
    """

    weight: Decimal
    unit: str | None = None
    stable: bool | None = None
    kind: str | None = None  # "G" gross, "N" net, "T" tare
    tare: Decimal | None = None
    error: str | None = None
    raw: bytes = b""


class FrameError(ValueError):
    """A frame (or a run of bytes) that could not be read; `reason` names what is wrong.

    Reasons: bad_checksum, bad_status, wrong_length, non_digit, bad_sign, bad_decimals,
    bad_unit, bad_header, bad_address, unknown_reply, garbage.
    """

    def __init__(self, reason: str, detail: str = "", raw: bytes = b"") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.raw = raw


class ScaleConfigError(ValueError):
    """A scale configuration that cannot work; `field` names the setting."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True, kw_only=True)
class ScaleConfig:
    """How one scale is wired and what it can weigh (the `station_scales` row, plus the
    settings the row does not hold yet: variant, command-mode address, stability window)."""

    protocol: str
    port: str
    baud: int = 9600
    parity: str = "N"
    data_bits: int = 8
    stop_bits: float = 1
    division_kg: Decimal
    unit: str = "kg"
    capacity_kg: Decimal
    variant: str | None = None
    address: str = "A"
    stable_n: int = 5
    stable_k: int = 1
    stable_t_s: float = 3.0

    def __post_init__(self) -> None:
        if self.protocol not in VARIANTS:
            raise ScaleConfigError("protocol", f"unknown protocol {self.protocol!r}")
        if self.variant not in VARIANTS[self.protocol]:
            allowed = sorted(v for v in VARIANTS[self.protocol] if v)
            raise ScaleConfigError(
                "variant", f"{self.variant!r} is not a variant of {self.protocol}: {allowed}"
            )
        checks: list[tuple[str, bool, str]] = [
            ("baud", self.baud > 0, "must be positive"),
            ("parity", self.parity in ("N", "E", "O", "M", "S"), "must be one of N E O M S"),
            ("data_bits", self.data_bits in (5, 6, 7, 8), "must be 5, 6, 7 or 8"),
            ("stop_bits", self.stop_bits in (1, 1.5, 2), "must be 1, 1.5 or 2"),
            ("division_kg", _positive(self.division_kg), "must be a positive Decimal"),
            ("capacity_kg", _positive(self.capacity_kg), "must be a positive Decimal"),
            ("unit", self.unit in KG_PER_UNIT, "must be g, kg or t"),
            ("address", len(self.address) == 1 and "A" <= self.address <= "Z", "must be A-Z"),
            ("stable_n", self.stable_n >= 1, "must be at least 1"),
            ("stable_k", self.stable_k >= 0, "must not be negative"),
            ("stable_t_s", self.stable_t_s >= 0, "must not be negative"),
        ]
        for field, ok, message in checks:
            if not ok:
                raise ScaleConfigError(field, message)

    @property
    def mask7(self) -> bool:
        """Whether bit 7 is parity, not data: 7-bit links and the 7E1 Toledo protocols."""
        return self.data_bits == 7 or self.protocol in (TOLEDO_CONTINUOUS, TOLEDO_8217)

    @classmethod
    def from_scale(cls, scale: Any, **overrides: Any) -> ScaleConfig:
        """Build from a `station.models.Scale` row (read by attribute; no import of the model):
        its `division_g` and integer `capacity_kg` become Decimal kilograms."""
        values: dict[str, Any] = {
            "protocol": str(scale.protocol),
            "port": scale.port,
            "baud": scale.baud,
            "parity": scale.parity,
            "data_bits": scale.data_bits,
            "stop_bits": scale.stop_bits,
            "division_kg": Decimal(scale.division_g) / 1000,
            "unit": scale.unit,
            "capacity_kg": Decimal(scale.capacity_kg),
        }
        values.update(overrides)
        return cls(**values)


def _positive(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite() and value > 0


def xor(data: bytes) -> int:
    """XOR of every byte (the XK3190, Keli and Yaohua check)."""
    result = 0
    for byte in data:
        result ^= byte
    return result


HEX_NIBBLES = b"0123456789ABCDEF"


def hex2(value: int) -> bytes:
    """A byte as two upper-case ASCII hex digits, high nibble first ("add 0x30 / 0x37")."""
    return bytes((HEX_NIBBLES[value >> 4], HEX_NIBBLES[value & 0x0F]))


HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")


def check_hex2(expected: int, got: bytes, raw: bytes) -> None:
    """Compare a received two-nibble checksum; lower-case hex is accepted."""
    if len(got) != 2 or not HEX_DIGITS.issuperset(got):
        raise FrameError("bad_checksum", f"checksum {got!r} is not two hex digits", raw)
    if int(got, 16) != expected:
        raise FrameError("bad_checksum", f"checksum {got.decode()} != {expected:02X}", raw)


def decimals_of(weight: Decimal) -> int:
    """How many decimals a weight is written with (Decimal keeps them: 3.000 has three)."""
    exponent = weight.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def digits_of(weight: Decimal, n_decimals: int) -> int:
    """|weight| × 10^decimals as an integer, for fixed-digit fields."""
    return int(abs(weight).scaleb(n_decimals).to_integral_value())


class Decoder(abc.ABC):
    """Splits a byte stream into frames and parses each one.

    `feed` takes whatever the port delivered, keeps an incomplete tail for the next call and
    returns the readings and the errors in stream order: a frame that fails its checks, and
    each run of bytes dropped while resynchronising (reason `garbage`), so a driver can count
    them. Bit 7 is masked first on 7-bit links.
    """

    def __init__(self, parse: Callable[[bytes], Reading], mask7: bool) -> None:
        self._parse = parse
        self._mask7 = mask7
        self._buf = b""
        self._junk = b""  # dropped bytes not yet reported: one error per run of garbage

    def feed(self, data: bytes) -> list[Reading | FrameError]:
        if self._mask7:
            data = data.translate(MASK7)
        buf = self._buf + data if self._buf else data
        out: list[Reading | FrameError] = []
        self._buf = self._split(buf, out)
        if len(self._junk) > JUNK_LIMIT:
            self._put(None, out)
        return out

    def reset(self) -> None:
        """Forget the tail (after a reconnect the old bytes belong to nothing)."""
        self._buf = self._junk = b""

    def _drop(self, raw: bytes, out: list[Reading | FrameError]) -> None:
        """Bytes that belong to no frame; reported as one `garbage` error when the run ends
        (at the next frame) or grows past JUNK_LIMIT."""
        self._junk += raw

    def _put(self, item: Reading | FrameError | None, out: list[Reading | FrameError]) -> None:
        if self._junk:
            out.append(garbage(self._junk))
            self._junk = b""
        if item is not None:
            out.append(item)

    def _emit(self, frame: bytes, out: list[Reading | FrameError]) -> None:
        try:
            item: Reading | FrameError = self._parse(frame)
        except FrameError as exc:
            item = exc
        self._put(item, out)

    @abc.abstractmethod
    def _split(self, buf: bytes, out: list[Reading | FrameError]) -> bytes:
        """Emit every complete frame of `buf` into `out`; return the incomplete tail."""


def garbage(raw: bytes) -> FrameError:
    return FrameError("garbage", f"{len(raw)} byte(s) outside any frame", raw)


class LineDecoder(Decoder):
    """Frames end in CR, LF or CR LF (MT-SICS, Yaohua A12/A12E, ST,GS).

    A CR at the very end of the buffer waits for the next byte, so a CR LF split across two
    reads stays one frame with its exact bytes. Within a line, bytes before the protocol's
    start marker are dropped as garbage (a partial line at start-up, noise on the wire).
    """

    LINE = re.compile(rb"[^\r\n]*(?:\r\n|\n|\r(?=[^\n]))")

    def __init__(
        self,
        parse: Callable[[bytes], Reading],
        mask7: bool,
        start: re.Pattern[bytes],
        max_len: int = 64,
    ) -> None:
        super().__init__(parse, mask7)
        self._start = start
        self._max_len = max_len

    def _split(self, buf: bytes, out: list[Reading | FrameError]) -> bytes:
        end = 0
        starts, parse, append = self._start.match, self._parse, out.append
        for match in self.LINE.finditer(buf):
            end = match.end()
            line = match.group()
            if len(line) <= 2 and not line.strip(b"\r\n"):
                continue  # the LF of a CR LF whose CR ended the previous read, or a blank line
            if starts(line) and not self._junk:  # the common case, without a call more
                try:
                    append(parse(line))
                    continue
                except FrameError:
                    pass
            self._line(line, out)
        tail = buf[end:]
        if len(tail) > self._max_len:  # no terminator where one must have been
            self._drop(tail, out)
            return b""
        return tail

    def _line(self, line: bytes, out: list[Reading | FrameError]) -> None:
        """Parse a line; when it fails, retry from each later start marker, so a partial
        frame glued to a whole one costs only the partial one."""
        start = self._start
        pos = 0 if start.match(line) else -1
        first: FrameError | None = None
        while True:
            if pos >= 0:
                try:
                    reading = self._parse(line[pos:])
                except FrameError as exc:
                    first = first or exc
                else:
                    if pos:
                        self._drop(line[:pos], out)
                    self._put(reading, out)
                    return
            found = start.search(line, pos + 1)
            if found is None:
                if first is None:
                    self._drop(line, out)
                else:
                    self._put(first, out)
                return
            pos = found.start()


class StxEtxDecoder(Decoder):
    """Frames from STX to ETX whose bodies never contain either (XK3190, Keli command mode).

    A second STX before the ETX means the first frame was cut short: its bytes are garbage
    and the new STX starts over.
    """

    def __init__(self, parse: Callable[[bytes], Reading], mask7: bool, max_len: int) -> None:
        super().__init__(parse, mask7)
        self._max_len = max_len

    def _split(self, buf: bytes, out: list[Reading | FrameError]) -> bytes:
        pos = 0
        n = len(buf)
        while pos < n:
            stx = buf.find(b"\x02", pos)
            if stx < 0:
                self._drop(buf[pos:], out)
                return b""
            if stx > pos:
                self._drop(buf[pos:stx], out)
            etx = buf.find(b"\x03", stx + 1, stx + self._max_len)
            if etx < 0:
                nxt = buf.find(b"\x02", stx + 1, stx + self._max_len)
                if nxt >= 0:
                    self._drop(buf[stx:nxt], out)
                    pos = nxt
                    continue
                if n - stx >= self._max_len:
                    self._drop(buf[stx : stx + self._max_len], out)
                    pos = stx + self._max_len
                    continue
                return buf[stx:]
            nxt = buf.find(b"\x02", stx + 1, etx)
            if nxt >= 0:
                self._drop(buf[stx:nxt], out)
                pos = nxt
                continue
            self._emit(buf[stx : etx + 1], out)
            pos = etx + 1
        return b""


class Protocol(abc.ABC):
    """One serial output format: parse a frame, decode a stream, ask for a reading, encode.

    Continuous protocols stream frames and `request()` is None; request/response protocols
    answer the bytes `request()` returns. `encode` writes a valid frame for a reading
    (checksums included) for the simulator and the tests.
    """

    name: ClassVar[str]
    has_stability_flag: ClassVar[bool]

    def __init__(self, config: ScaleConfig) -> None:
        self.config = config

    @abc.abstractmethod
    def parse(self, frame: bytes) -> Reading:
        """Read one whole frame (with its terminator); raise FrameError naming the fault."""

    @abc.abstractmethod
    def decoder(self) -> Decoder:
        """A fresh stream decoder for this protocol."""

    def request(self) -> bytes | None:
        """What to send to get a reading; None for a protocol that streams by itself."""
        return None

    @property
    def stability_flag(self) -> bool:
        """Whether readings carry the scale's own stability flag (else: software)."""
        return self.has_stability_flag

    @abc.abstractmethod
    def encode(self, reading: Reading) -> bytes:
        """A valid frame for `reading` (weight written with its own decimals)."""

    def unit_of(self, reading: Reading) -> str:
        """The unit to write for a reading: its own, or the configured one."""
        return reading.unit or self.config.unit

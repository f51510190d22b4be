"""Toledo continuous output and the Toledo 8217 request/response protocol (frames.md §2, §2b).

Both are 7E1 protocols: on an 8N1 host or a pty bit 7 carries parity, so every byte is
masked with 0x7F before it is read. Their frames are positional: a Toledo status byte may
itself be 0x02 or 0x0D (Fairbanks clears SWB bit 5), so they are never split on markers.
"""

from __future__ import annotations

import re
from decimal import Decimal

from station.scales.base import (
    MASK7,
    MOTION,
    NEGATIVE,
    NO_WEIGHT,
    OVERLOAD,
    TOLEDO_8217,
    TOLEDO_CONTINUOUS,
    UNDERLOAD,
    ZERO_RANGE,
    Decoder,
    FrameError,
    Protocol,
    Reading,
    ScaleConfig,
    decimals_of,
    digits_of,
)

STX, CR = 0x02, 0x0D
DIGITS = frozenset(b"0123456789")
# SWC bits 0-2: 0 = lb or kg (SWB bit 4), then the alternative units (IND-series manuals).
ALT_UNITS = {1: "g", 2: "t", 3: "oz", 4: "ozt", 5: "dwt", 6: "LT", 7: "custom"}
COUNT_BY = {1: 1, 2: 2, 5: 3}  # division's leading digit → SWA bits 3-4
ZERO = Decimal(0)


def toledo_checksum(body: bytes) -> int:
    """Two's complement of the 7-bit sum of every byte before the checksum."""
    return -sum(body) & 0x7F


def _scaled(digits: bytes, dp: int) -> Decimal:
    # SWA dp code: 0 = XXXX00, 1 = XXXXX0, 2 = XXXXXX, 3 = XXXXX.X … 7 = X.XXXXX
    value = int(digits)
    if dp < 2:
        return Decimal(value * (100 if dp == 0 else 10))
    return Decimal(value).scaleb(2 - dp)


def parse_continuous(frame: bytes) -> Reading:
    """One Toledo continuous frame, already masked to 7 bits (11, 12, 17 or 18 bytes)."""
    n = len(frame)
    if n not in (11, 12, 17, 18) or frame[0] != STX:
        raise FrameError("wrong_length", f"{n} bytes", frame)
    cr = 10 if n < 17 else 16
    if frame[cr] != CR:
        raise FrameError("wrong_length", f"no CR at byte {cr + 1}", frame)
    if n in (12, 18) and sum(frame) & 0x7F:
        raise FrameError(
            "bad_checksum", f"checksum {frame[-1]:02X} != {toledo_checksum(frame[:-1]):02X}", frame
        )
    swa, swb, swc = frame[1], frame[2], frame[3]
    if not swa & 0x20 or not (swa >> 3) & 0x03:
        raise FrameError("bad_status", f"SWA {swa:02X}: bit 5 clear or no count-by", frame)
    weight_digits = frame[4:10]
    if not DIGITS.issuperset(weight_digits):
        raise FrameError("non_digit", f"weight {weight_digits!r}", frame)
    dp = swa & 0x07
    weight = _scaled(weight_digits, dp)
    if swb & 0x02:
        weight = -weight
    tare = None
    if cr == 16:
        tare_digits = frame[10:16]
        if not DIGITS.issuperset(tare_digits):
            raise FrameError("non_digit", f"tare {tare_digits!r}", frame)
        tare = _scaled(tare_digits, dp)
    alt = swc & 0x07
    unit = ALT_UNITS[alt] if alt else ("kg" if swb & 0x10 else "lb")
    error = (UNDERLOAD if swb & 0x02 else OVERLOAD) if swb & 0x04 else None
    return Reading(weight, unit, not swb & 0x08, "N" if swb & 0x01 else "G", tare, error, frame)


class ToledoContinuousDecoder(Decoder):
    """STX, three status bytes, 6 (or 12) digits, CR, and maybe a checksum byte.

    Whether a checksum follows is configured (`checksum` / `no-checksum`) or, by default,
    read from the stream: the byte after CR is a checksum unless it is the next frame's STX
    and does not complete the sum. Until that byte arrives a frame waits, except once the
    stream has shown it sends no checksum.
    """

    def __init__(self, mask7: bool, checksum: bool | None) -> None:
        super().__init__(parse_continuous, mask7)
        self._fixed = checksum
        self._seen: bool | None = checksum

    def reset(self) -> None:
        super().reset()
        self._seen = self._fixed

    def _split(self, buf: bytes, out: list[Reading | FrameError]) -> bytes:
        pos, n = 0, len(buf)
        while pos < n:
            stx = buf.find(b"\x02", pos)
            if stx < 0:
                self._drop(buf[pos:], out)
                return b""
            if stx > pos:
                self._drop(buf[pos:stx], out)
            if n - stx < 11:
                return buf[stx:]
            if buf[stx + 10] == CR:
                cr = stx + 10
            elif n - stx < 17:
                if DIGITS.issuperset(buf[stx + 4 : stx + 10]) and DIGITS.issuperset(
                    buf[stx + 10 :]
                ):
                    return buf[stx:]  # a long frame still arriving
                cr = -1
            elif buf[stx + 16] == CR:
                cr = stx + 16
            else:
                cr = -1
            if cr < 0:
                nxt = buf.find(b"\x02", stx + 1)
                end = nxt if nxt >= 0 else n
                self._drop(buf[stx:end], out)
                pos = end
                continue
            end = cr + 1
            if self._fixed is not False:
                if end >= n:
                    if self._seen is False:
                        self._emit(buf[stx:end], out)
                        return b""
                    return buf[stx:]
                nxt_byte = buf[end]
                has_checksum = (
                    self._fixed is True
                    or nxt_byte != STX
                    or (sum(buf[stx:end]) + nxt_byte) & 0x7F == 0
                )
                if has_checksum:
                    end += 1
                if self._fixed is None:
                    self._seen = has_checksum
            self._emit(buf[stx:end], out)
            pos = end
        return b""


class ToledoContinuous(Protocol):
    """Mettler Toledo standard continuous output: weight, tare and three status words."""

    name = TOLEDO_CONTINUOUS
    has_stability_flag = True

    def parse(self, frame: bytes) -> Reading:
        return parse_continuous(frame.translate(MASK7))

    def decoder(self) -> Decoder:
        variant = self.config.variant
        checksum = {"checksum": True, "no-checksum": False}.get(variant or "")
        return ToledoContinuousDecoder(self.config.mask7, checksum)

    def encode(self, reading: Reading) -> bytes:
        return encode_continuous(reading, self.config)


def encode_continuous(reading: Reading, config: ScaleConfig) -> bytes:
    """A 17-byte frame with tare, plus the checksum unless the variant has none."""
    decimals = decimals_of(reading.weight)
    if decimals > 5:
        raise ValueError(f"{reading.weight}: more than 5 decimals")
    dp = decimals + 2 if decimals else 2
    value = digits_of(reading.weight, decimals)
    tare_value = digits_of(reading.tare or ZERO, decimals)
    for scale_dp, factor in ((1, 10), (0, 100)):  # too many digits: drop trailing zeros
        if value > 999_999 and decimals == 0 and value % factor == 0:
            dp, value, tare_value = scale_dp, value // factor, tare_value // factor
    if value > 999_999 or tare_value > 999_999:
        raise ValueError(f"{reading.weight}: more than 6 digits")
    leading = int(str(config.division_kg.normalize().as_tuple().digits[0]))
    swa = 0x20 | COUNT_BY.get(leading, 1) << 3 | dp
    unit = reading.unit or config.unit
    alt = {"g": 1, "t": 2}.get(unit, 0)
    error = reading.error in (OVERLOAD, UNDERLOAD)
    swb = (
        0x20
        | (reading.kind == "N")
        | (reading.weight < 0 or reading.error == UNDERLOAD) << 1
        | error << 2
        | (reading.stable is False) << 3
        | (unit != "lb") << 4
    )
    body = b"\x02%c%c%c%06d%06d\r" % (swa, swb, 0x20 | alt, value, tare_value)
    if config.variant == "no-checksum":
        return body
    return body + bytes((toledo_checksum(body),))


# ---------------------------------------------------------------------------------------------
# Toledo 8217: `W` → STX weight CR, or STX ? status CR when there is no valid weight.

WEIGHT_8217 = re.compile(rb"\x02 *([0-9.]+)(N?)\r\Z")
NUMBER = re.compile(rb"\d+(?:\.\d*)?|\.\d+")


def parse_8217(frame: bytes) -> Reading:
    """One Toledo 8217 reply, already masked to 7 bits."""
    if len(frame) < 3 or frame[0] != STX or frame[-1] != CR:
        raise FrameError("wrong_length", "not STX … CR", frame)
    body = frame[1:-1].lstrip(b" ")
    if body[:1] == b"?":
        if len(body) != 2:
            raise FrameError("wrong_length", "status reply is not one byte", frame)
        status = body[1]
        if status & 0x02:
            error = OVERLOAD
        elif status & 0x04:
            error = NEGATIVE
        elif status & 0x08:
            error = ZERO_RANGE
        elif status & 0x01:
            error = MOTION
        else:
            error = NO_WEIGHT
        kind = "N" if status & 0x20 else "G"
        return Reading(ZERO, None, not status & 0x01, kind, None, error, frame)
    match = WEIGHT_8217.match(frame)
    if match is None or NUMBER.fullmatch(match.group(1)) is None:
        raise FrameError("non_digit", f"weight {body!r}", frame)
    # a weight reply comes only when the weight is valid and still; moving gives a status
    kind = "N" if match.group(2) else "G"
    return Reading(Decimal(match.group(1).decode()), None, True, kind, None, None, frame)


class Toledo8217Decoder(Decoder):
    """STX [spaces] ( ? status | weight [N] ) CR — the status byte is taken by position."""

    MAX = 24

    def __init__(self, mask7: bool) -> None:
        super().__init__(parse_8217, mask7)

    def _split(self, buf: bytes, out: list[Reading | FrameError]) -> bytes:
        pos, n = 0, len(buf)
        while pos < n:
            stx = buf.find(b"\x02", pos)
            if stx < 0:
                self._drop(buf[pos:], out)
                return b""
            if stx > pos:
                self._drop(buf[pos:stx], out)
            i = stx + 1
            while i < n and buf[i] == 0x20:
                i += 1
            if i >= n:
                if i - stx < self.MAX:
                    return buf[stx:]
                self._drop(buf[stx:], out)
                return b""
            if buf[i] == 0x3F:  # '?'
                if i + 2 >= n:
                    return buf[stx:]
                end = i + 3
                if buf[i + 2] != CR:
                    self._drop(buf[stx:end], out)
                    pos = i + 1
                    continue
            else:
                cr = buf.find(b"\r", i, stx + self.MAX)
                if cr < 0:
                    if n - stx < self.MAX:
                        return buf[stx:]
                    self._drop(buf[stx : stx + self.MAX], out)
                    pos = stx + self.MAX
                    continue
                nxt = buf.find(b"\x02", i, cr)
                if nxt >= 0:
                    self._drop(buf[stx:nxt], out)
                    pos = nxt
                    continue
                end = cr + 1
            self._emit(buf[stx:end], out)
            pos = end
        return b""


class Toledo8217(Protocol):
    """Toledo 8217 (Odoo's POS scale protocol): `W` polled, 9600 7E1."""

    name = TOLEDO_8217
    has_stability_flag = True

    def parse(self, frame: bytes) -> Reading:
        return parse_8217(frame.translate(MASK7))

    def decoder(self) -> Decoder:
        return Toledo8217Decoder(self.config.mask7)

    def request(self) -> bytes:
        return b"W"

    def encode(self, reading: Reading) -> bytes:
        if reading.error is None and reading.stable is not False and reading.weight >= 0:
            value = f"{reading.weight}".rjust(6, "0").encode()
            return b"\x02" + value + (b"N" if reading.kind == "N" else b"") + b"\r"
        status = (
            (reading.stable is False or reading.error == MOTION)
            | (reading.error == OVERLOAD) << 1
            | (reading.weight < 0 or reading.error in (NEGATIVE, UNDERLOAD)) << 2
            | (reading.error == ZERO_RANGE) << 3
            | (reading.kind == "N") << 5
        )
        return b"\x02?%c\r" % status

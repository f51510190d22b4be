"""Yaohua (耀华) XK3190-A12(E): the 15-byte `WG004.139kg3D` frame and the lower-case A12 line
(frames.md §6, §6b). Both are CR LF / LF lines, so one decoder reads either.

Neither has a stability flag. The A12E frame is checked by its XOR; the lower-case line has
no check at all.
"""

from __future__ import annotations

import re
from decimal import Decimal

from station.scales.base import (
    OVERLOAD,
    UNDERLOAD,
    YAOHUA_A12E,
    Decoder,
    FrameError,
    LineDecoder,
    Protocol,
    Reading,
    check_hex2,
    hex2,
    xor,
)

WEIGHT = re.compile(rb" *(-?(?:\d+\.?\d*|\.\d+)) *\Z")
A12_LINE = re.compile(rb"w([wnt])([-+]?(?:\d+\.?\d*|\.\d+))([a-z]{1,2})\Z")
A12_KINDS = {b"w": "G", b"n": "N", b"t": "T"}
START = re.compile(rb"W[GN]|w[wnt]| {9}(?:OL|LO)")
UNITS = {b"kg": "kg", b" t": "t", b"t ": "t", b" g": "g", b"g ": "g", b"lb": "lb"}
ZERO = Decimal(0)


def parse(frame: bytes) -> Reading:
    """One A12E frame (`W`, G/N, 7 weight characters, unit, XOR) or one lower-case A12 line."""
    body = frame.rstrip(b"\r\n")
    if body[:1] == b"w":
        match = A12_LINE.match(body)
        if match is None:
            raise FrameError("non_digit", f"A12 line {body!r}", frame)
        kind, value, unit = match.groups()
        return Reading(Decimal(value.decode()), unit.decode(), None, A12_KINDS[kind], raw=frame)
    if len(body) != 13:
        raise FrameError("wrong_length", f"{len(body)} bytes before CR LF, expected 13", frame)
    check_hex2(xor(body[:11]), body[11:13], frame)
    if body[:9] == b" " * 9:
        if body[9:11] == b"OL":
            return Reading(ZERO, error=OVERLOAD, raw=frame)
        if body[9:11] == b"LO":
            return Reading(ZERO, error=UNDERLOAD, raw=frame)
        raise FrameError("bad_status", f"status {body[9:11]!r}", frame)
    if body[0] != 0x57 or body[1] not in b"GN":
        raise FrameError("bad_header", f"header {body[:2]!r}", frame)
    match = WEIGHT.match(body[2:9])
    if match is None:
        raise FrameError("non_digit", f"weight {body[2:9]!r}", frame)
    unit = UNITS.get(body[9:11])
    if unit is None:
        raise FrameError("bad_unit", f"unit {body[9:11]!r}", frame)
    kind = "G" if body[1] == 0x47 else "N"
    return Reading(Decimal(match.group(1).decode()), unit, None, kind, raw=frame)


class YaohuaA12e(Protocol):
    """Yaohua XK3190-A12(E) continuous output; variant `a12` writes the lower-case line."""

    name = YAOHUA_A12E
    has_stability_flag = False

    def parse(self, frame: bytes) -> Reading:
        return parse(frame)

    def decoder(self) -> Decoder:
        return LineDecoder(parse, self.config.mask7, START)

    def encode(self, reading: Reading) -> bytes:
        unit = self.unit_of(reading)
        if self.config.variant == "a12":
            if reading.error is not None:
                raise ValueError("the A12 line cannot carry a scale error")
            letter = {"N": "n", "T": "t"}.get(reading.kind or "G", "w")
            return f"w{letter}{reading.weight}{unit}\n".encode()
        if reading.error in (OVERLOAD, UNDERLOAD):
            body = b" " * 9 + (b"OL" if reading.error == OVERLOAD else b"LO")
            return body + hex2(xor(body)) + b"\r\n"
        if reading.error is not None:
            raise ValueError(f"the A12E frame cannot carry {reading.error}")
        text = f"{abs(reading.weight)}"
        width = 7 if "." in text else 6  # no decimal: a space takes the point's place
        text = ("-" + text.rjust(width - 1, "0")) if reading.weight < 0 else text.rjust(width, "0")
        text = text if width == 7 else " " + text
        if len(text) != 7:
            raise ValueError(f"{reading.weight} does not fit 7 characters")
        unit_field = {"t": " t", "g": " g"}.get(unit, unit)
        kind = b"N" if reading.kind == "N" else b"G"
        body = b"W" + kind + text.encode() + unit_field.encode()
        return body + hex2(xor(body)) + b"\r\n"

"""The `ST,GS,+0001234kg` header family: A&D indicators, Kern and many Chinese clones
(frames.md §7).

Header 1 is ST (stable), US (unstable) or OL (out of range, data sent as spaces); header 2 is
GS/NT/TR or `G `/`N `/`T `/`PT`; then a polarity and the figures with their point; then the
unit (kg, ` t`, ` g`, lb), which one controller leaves out. CR or CR LF ends the line.
"""

from __future__ import annotations

import re
from decimal import Decimal

from station.scales.base import (
    OVERLOAD,
    ST_GS,
    UNDERLOAD,
    Decoder,
    FrameError,
    LineDecoder,
    Protocol,
    Reading,
)

LINE = re.compile(rb"([A-Z]{2}),([A-Z ]{2}),([+-])([0-9. ]*)([A-Za-z]{1,3})?\r?\n?\Z")
NUMBER = re.compile(rb"\d+(?:\.\d*)?|\.\d+")
STABLE = {b"ST": True, b"US": False, b"OL": None}
KINDS = {b"GS": "G", b"G ": "G", b"NT": "N", b"N ": "N", b"TR": "T", b"T ": "T", b"PT": "T"}
HEADER2 = {"G": "GS", "N": "NT", "T": "TR"}
START = re.compile(rb"(?:ST|US|OL),")
ZERO = Decimal(0)


def parse(frame: bytes) -> Reading:
    """One `header1,header2,±figures[unit]` line."""
    match = LINE.match(frame)
    if match is None:
        raise FrameError("wrong_length", f"not a header,header,value line: {frame!r}", frame)
    head1, head2, sign, data, unit = match.groups()
    if head1 not in STABLE:
        raise FrameError("bad_header", f"header 1 {head1!r}", frame)
    kind = KINDS.get(head2)
    if kind is None:
        raise FrameError("bad_header", f"header 2 {head2!r}", frame)
    text_unit = unit.decode() if unit else None
    figures = data.strip(b" ")
    if head1 == b"OL":
        error = UNDERLOAD if sign == b"-" else OVERLOAD
        return Reading(ZERO, text_unit, None, kind, None, error, frame)
    if NUMBER.fullmatch(figures) is None:
        raise FrameError("non_digit", f"weight {data!r}", frame)
    value = Decimal(figures.decode())
    value = -value if sign == b"-" else value
    return Reading(value, text_unit, STABLE[head1], kind, None, None, frame)


class StGs(Protocol):
    """`ST,GS,…` continuous output; variant `no-unit` writes the unitless form."""

    name = ST_GS
    has_stability_flag = True

    def parse(self, frame: bytes) -> Reading:
        return parse(frame)

    def decoder(self) -> Decoder:
        return LineDecoder(parse, self.config.mask7, START)

    def encode(self, reading: Reading) -> bytes:
        head2 = HEADER2.get(reading.kind or "G", "GS")
        sign = "-" if reading.weight < 0 or reading.error == UNDERLOAD else "+"
        if reading.error in (OVERLOAD, UNDERLOAD):
            head1, figures = "OL", " " * 7
        elif reading.error is not None:
            raise ValueError(f"an ST,GS line cannot carry {reading.error}")
        else:
            head1 = "US" if reading.stable is False else "ST"
            figures = f"{abs(reading.weight)}".rjust(7, "0")
            if len(figures) != 7:
                raise ValueError(f"{reading.weight} does not fit 7 figures")
        unit = "" if self.config.variant == "no-unit" else self.unit_of(reading)
        unit = {"t": " t", "g": " g"}.get(unit, unit)
        return f"{head1},{head2},{sign}{figures}{unit}\r\n".encode()

"""Mettler Toledo MT-SICS: request/response ASCII lines (frames.md §1).

The host sends `SI` (send immediately: the current weight, stable or not) and the balance
answers `S S|D <value> <unit>`; `T`/`TI` answer with the tare just stored. There is no
checksum; a reply is checked token by token.
"""

from __future__ import annotations

import re
from decimal import Decimal

from station.scales.base import (
    ACK,
    BUSY,
    LOGICAL,
    MT_SICS,
    OVERLOAD,
    SYNTAX,
    TRANSMISSION,
    UNDERLOAD,
    Decoder,
    FrameError,
    LineDecoder,
    Protocol,
    Reading,
)

WEIGHT_COMMANDS = frozenset({b"S", b"SI", b"SIR", b"SU", b"SIU"})
TARE_COMMANDS = frozenset({b"T", b"TI", b"TA"})
ERRORS = {b"ES": SYNTAX, b"ET": TRANSMISSION, b"EL": LOGICAL}
STATUS_ERRORS = {b"I": BUSY, b"+": OVERLOAD, b"-": UNDERLOAD}
NUMBER = re.compile(rb"-?(?:\d+(?:\.\d*)?|\.\d+)\Z")
UNIT = re.compile(rb"[A-Za-z%]{1,5}\Z")
START = re.compile(rb"[A-Z]")
ZERO = Decimal(0)


def parse(frame: bytes) -> Reading:
    """Parse one MT-SICS reply line."""
    tokens = frame.split()
    if not tokens:
        raise FrameError("wrong_length", "empty line", frame)
    cmd = tokens[0]
    if len(tokens) == 1:
        if cmd in ERRORS:
            return Reading(ZERO, error=ERRORS[cmd], raw=frame)
        raise FrameError("unknown_reply", f"reply {cmd!r} has no status", frame)
    status = tokens[1]
    if cmd in WEIGHT_COMMANDS or cmd in TARE_COMMANDS:
        if len(tokens) == 2:
            if status in STATUS_ERRORS:
                return Reading(ZERO, error=STATUS_ERRORS[status], raw=frame)
            if status == b"A" and cmd in TARE_COMMANDS:
                return Reading(ZERO, error=ACK, raw=frame)
            raise FrameError("bad_status", f"status {status!r} without a value", frame)
        if len(tokens) != 4:
            raise FrameError("wrong_length", f"{len(tokens)} tokens, expected 4", frame)
        if cmd in TARE_COMMANDS:
            # the manual answers `T S <tare>`, InstrumentKit's mock `T A`: accept both
            if status not in (b"S", b"A", b"D"):
                raise FrameError("bad_status", f"tare status {status!r}", frame)
            stable, kind = status != b"D", "T"
        elif status == b"S":
            stable, kind = True, "N"
        elif status == b"D":
            stable, kind = False, "N"
        else:
            raise FrameError("bad_status", f"weight status {status!r}", frame)
        value, unit = tokens[2], tokens[3]
        if NUMBER.match(value) is None:
            raise FrameError("non_digit", f"weight {value!r}", frame)
        if UNIT.match(unit) is None:
            raise FrameError("bad_unit", f"unit {unit!r}", frame)
        return Reading(Decimal(value.decode()), unit.decode(), stable, kind, None, None, frame)
    if len(tokens) == 2 and status == b"A":
        return Reading(ZERO, error=ACK, raw=frame)  # Z A, @ …: a command done, no weight
    if len(tokens) == 2 and status in STATUS_ERRORS:
        return Reading(ZERO, error=STATUS_ERRORS[status], raw=frame)
    raise FrameError("unknown_reply", f"command {cmd!r}", frame)


class MtSics(Protocol):
    """MT-SICS level 0: `SI` polled; `S` (stable only) answers the same way."""

    name = MT_SICS
    has_stability_flag = True

    def parse(self, frame: bytes) -> Reading:
        return parse(frame)

    def decoder(self) -> Decoder:
        return LineDecoder(parse, self.config.mask7, START)

    def request(self) -> bytes:
        return b"SI\r\n"

    def encode(self, reading: Reading) -> bytes:
        if reading.error in (BUSY, OVERLOAD, UNDERLOAD):
            sign = {BUSY: "I", OVERLOAD: "+", UNDERLOAD: "-"}[reading.error]
            return f"S {sign}\r\n".encode()
        if reading.error is not None:
            return b"ES\r\n"
        cmd = "T" if reading.kind == "T" else "S"
        status = "D" if reading.stable is False else "S"
        return f"{cmd} {status} {reading.weight:>10} {self.unit_of(reading)}\r\n".encode()

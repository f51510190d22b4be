"""The XK3190 family (耀华, 柯力 and their clones; frames.md §3, §4, §5, §8).

Three outputs, chosen by `ScaleConfig.variant` because the bytes cannot tell them apart:
- None: continuous "tF=0", `STX ± 6 digits decimals XOR XOR ETX` (12 bytes);
- "reversed" / "forward": continuous `=` frames, 9 bytes with no terminator;
- "command": the host polls `STX address B XOR ETX`, the indicator answers 14 bytes
  (Keli's command mode is the same frame).
None of them sends a unit or a stability flag: the unit is configured and stability is
decided in software.
"""

from __future__ import annotations

from decimal import Decimal

from station.scales.base import (
    ACK,
    XK3190,
    Decoder,
    FrameError,
    Protocol,
    Reading,
    StxEtxDecoder,
    check_hex2,
    decimals_of,
    digits_of,
    hex2,
    xor,
)

DIGITS = frozenset(b"0123456789")
SIGNS = {0x2B: 1, 0x2D: -1}  # + -
KIND_BY_COMMAND = {0x42: "G", 0x43: "T", 0x44: "N"}  # B gross, C tare, D net
COMMAND_BY_KIND = {"G": b"B", "T": b"C", "N": b"D"}


def _value(sign: int, digits: bytes, decimals: int, frame: bytes) -> Decimal:
    if not DIGITS.issuperset(digits):
        raise FrameError("non_digit", f"weight {digits!r}", frame)
    value = Decimal(int(digits)).scaleb(-decimals)
    return -value if sign < 0 else value


def _sign(byte: int, frame: bytes) -> int:
    sign = SIGNS.get(byte)
    if sign is None:
        raise FrameError("bad_sign", f"sign byte {byte:02X}", frame)
    return sign


def parse_stx(frame: bytes) -> Reading:
    """`STX ± dddddd n XX ETX`: n decimals, XX the XOR of bytes 2-9 in ASCII hex."""
    if len(frame) != 12 or frame[0] != 0x02 or frame[11] != 0x03:
        raise FrameError("wrong_length", f"{len(frame)} bytes, expected 12", frame)
    check_hex2(xor(frame[1:9]), frame[9:11], frame)
    sign = _sign(frame[1], frame)
    decimals = frame[8] - 0x30
    if not 0 <= decimals <= 4:
        raise FrameError("bad_decimals", f"decimals byte {frame[8]:02X}", frame)
    return Reading(_value(sign, frame[2:8], decimals, frame), raw=frame)


class Xk3190Stx(Protocol):
    """XK3190 continuous STX frames (A9, A9+, A1+, A26 format 0, A23P, DS1)."""

    name = XK3190
    has_stability_flag = False

    def parse(self, frame: bytes) -> Reading:
        return parse_stx(frame)

    def decoder(self) -> Decoder:
        return StxEtxDecoder(parse_stx, self.config.mask7, 12)

    def encode(self, reading: Reading) -> bytes:
        if reading.error is not None:
            raise ValueError("an STX frame cannot carry a scale error")
        decimals = decimals_of(reading.weight)
        body = b"%c%06d%d" % (
            0x2D if reading.weight < 0 else 0x2B,
            digits_of(reading.weight, decimals),
            decimals,
        )
        if len(body) != 8 or decimals > 4:
            raise ValueError(f"{reading.weight} does not fit 6 digits and 0-4 decimals")
        return b"\x02" + body + hex2(xor(body)) + b"\x03"


# ---------------------------------------------------------------------------------------------
# "=" frames: `=` then 8 characters, back to back.


def _equals_value(sign_byte: int, text: bytes, frame: bytes) -> Decimal:
    if sign_byte == 0x2D:
        sign = -1
    elif sign_byte in (0x30, 0x2B):
        sign = 1
    else:
        raise FrameError("bad_sign", f"sign byte {sign_byte:02X}", frame)
    if text.count(b".") > 1 or not DIGITS.issuperset(text.replace(b".", b"")) or text == b".":
        raise FrameError("non_digit", f"weight {text!r}", frame)
    value = Decimal(text.decode())
    return -value if sign < 0 else value


def parse_reversed(frame: bytes) -> Reading:
    """`=` + the 7-character weight lowest digit first + sign (`0` or `-`)."""
    if len(frame) != 9 or frame[0] != 0x3D:
        raise FrameError("wrong_length", f"{len(frame)} bytes, expected 9", frame)
    return Reading(_equals_value(frame[8], frame[7:0:-1], frame), raw=frame)


def parse_forward(frame: bytes) -> Reading:
    """`=` + sign (`0` or `-`) + the 7-character weight highest digit first."""
    if len(frame) != 9 or frame[0] != 0x3D:
        raise FrameError("wrong_length", f"{len(frame)} bytes, expected 9", frame)
    return Reading(_equals_value(frame[1], frame[2:9], frame), raw=frame)


class EqualsDecoder(Decoder):
    """Split on `=`: a frame is complete once its 8 characters have arrived."""

    def _split(self, buf: bytes, out: list[Reading | FrameError]) -> bytes:
        parts = buf.split(b"=")
        if parts[0]:
            self._drop(parts[0], out)
        last = len(parts) - 1
        for i in range(1, last + 1):
            part = parts[i]
            if len(part) >= 8:
                self._emit(b"=" + part[:8], out)
                if len(part) > 8:
                    self._drop(part[8:], out)
            elif i == last:
                return b"=" + part
            else:
                self._drop(b"=" + part, out)
        return b""


class Xk3190Equals(Protocol):
    """XK3190 `=` frames: A26 format 1 / A23P format 2 ("reversed") or A26 format 2."""

    name = XK3190
    has_stability_flag = False

    @property
    def reversed(self) -> bool:
        return self.config.variant == "reversed"

    def parse(self, frame: bytes) -> Reading:
        return parse_reversed(frame) if self.reversed else parse_forward(frame)

    def decoder(self) -> Decoder:
        return EqualsDecoder(parse_reversed if self.reversed else parse_forward, self.config.mask7)

    def encode(self, reading: Reading) -> bytes:
        if reading.error is not None:
            raise ValueError("an = frame cannot carry a scale error")
        text = f"{abs(reading.weight)}".rjust(7, "0").encode()
        if len(text) != 7:
            raise ValueError(f"{reading.weight} does not fit 7 characters")
        sign = b"-" if reading.weight < 0 else b"0"
        return b"=" + (text[::-1] + sign if self.reversed else sign + text)


# ---------------------------------------------------------------------------------------------
# Command mode: request `STX addr cmd XX ETX`; reply `STX addr cmd ± dddddd n XX ETX`.


def command_frame(address: str, command: bytes) -> bytes:
    """A host request (handshake A, gross B, tare C, net D) with its XOR."""
    body = address.encode() + command
    return b"\x02" + body + hex2(xor(body)) + b"\x03"


def parse_command_reply(frame: bytes, address: str | None = None) -> Reading:
    """An indicator's reply; Keli's "6 digits and one radix point" form is read too."""
    n = len(frame)
    if n not in (6, 14) or frame[0] != 0x02 or frame[-1] != 0x03:
        raise FrameError("wrong_length", f"{n} bytes, expected 14", frame)
    check_hex2(xor(frame[1:-3]), frame[-3:-1], frame)
    if address is not None and frame[1] != ord(address):
        raise FrameError("bad_address", f"address {chr(frame[1])!r}, expected {address}", frame)
    cmd = frame[2]
    if n == 6:
        if cmd != 0x41:
            raise FrameError("wrong_length", f"command {chr(cmd)!r} without a value", frame)
        return Reading(Decimal(0), error=ACK, raw=frame)
    kind = KIND_BY_COMMAND.get(cmd)
    if kind is None:
        raise FrameError("unknown_reply", f"command {chr(cmd)!r}", frame)
    sign = _sign(frame[3], frame)
    data = frame[4:11]
    if b"." in data:  # Keli: the point is in the digits
        value = _equals_value(0x2D if sign < 0 else 0x30, data, frame)
    else:
        decimals = data[6] - 0x30
        if not 0 <= decimals <= 4:
            raise FrameError("bad_decimals", f"decimals byte {data[6]:02X}", frame)
        value = _value(sign, data[:6], decimals, frame)
    return Reading(value, kind=kind, raw=frame)


class Xk3190Command(Protocol):
    """XK3190 / Keli command mode (tF=1): gross polled with `B` at the configured address."""

    name = XK3190
    has_stability_flag = False

    def parse(self, frame: bytes) -> Reading:
        return parse_command_reply(frame, self.config.address)

    def decoder(self) -> Decoder:
        return StxEtxDecoder(self.parse, self.config.mask7, 16)

    def request(self) -> bytes:
        return command_frame(self.config.address, b"B")

    def encode(self, reading: Reading) -> bytes:
        if reading.error is not None:
            raise ValueError("command mode has no reply for a scale error")
        decimals = decimals_of(reading.weight)
        body = b"%s%s%c%06d%d" % (
            self.config.address.encode(),
            COMMAND_BY_KIND.get(reading.kind or "G", b"B"),
            0x2D if reading.weight < 0 else 0x2B,
            digits_of(reading.weight, decimals),
            decimals,
        )
        if len(body) != 10 or decimals > 4:
            raise ValueError(f"{reading.weight} does not fit 6 digits and 0-4 decimals")
        return b"\x02" + body + hex2(xor(body)) + b"\x03"

"""Every example frame of shared/scales/frames.md parsed to its documented reading, every
host command produced byte for byte, and corrupt frames refused with their reason."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from station.models import ScaleProtocol
from station.scales import VARIANTS, FrameError, Reading, ScaleConfigError
from station.scales.base import hex2, xor
from station.scales.xk3190 import command_frame
from tests.conftest import SHARED
from tests.station.scales.helpers import config, proto

FRAMES_MD = SHARED / "scales" / "frames.md"

# (frames.md number, protocol, variant, wire hex, weight, unit, stable, kind, tare, error)
FRAMES = [
    ("1.2", "mt-sics", None, "53 20 53 20 20 20 20 20 31 32 2E 33 34 35 20 6B 67 0D 0A",
     "12.345", "kg", True, "N", None, None),
    ("1.3", "mt-sics", None, "53 20 53 20 31 30 30 2E 30 30 20 67 0D 0A",
     "100.00", "g", True, "N", None, None),
    ("1.5", "mt-sics", None, "53 20 44 20 20 20 20 20 20 30 2E 35 31 32 20 6B 67 0D 0A",
     "0.512", "kg", False, "N", None, None),
    ("1.6", "mt-sics", None, "53 20 53 20 20 20 20 20 2D 31 2E 32 35 30 20 6B 67 0D 0A",
     "-1.250", "kg", True, "N", None, None),
    ("1.7", "mt-sics", None, "53 20 49 0D 0A", "0", None, None, None, None, "busy"),
    ("1.8", "mt-sics", None, "53 20 2B 0D 0A", "0", None, None, None, None, "overload"),
    ("1.9", "mt-sics", None, "53 20 2D 0D 0A", "0", None, None, None, None, "underload"),
    ("1.10", "mt-sics", None, "45 53 0D 0A", "0", None, None, None, None, "syntax"),
    ("1.10 ET", "mt-sics", None, "45 54 0D 0A", "0", None, None, None, None, "transmission"),
    ("1.10 EL", "mt-sics", None, "45 4C 0D 0A", "0", None, None, None, None, "logical"),
    ("1.11", "mt-sics", None, "5A 20 41 0D 0A", "0", None, None, None, None, "ack"),
    ("1.12", "mt-sics", None, "54 20 53 20 20 20 20 20 20 32 2E 34 38 36 20 6B 67 0D 0A",
     "2.486", "kg", True, "T", None, None),
    ("1.12 T A", "mt-sics", None, "54 20 41 20 32 2E 34 38 36 20 67 0D 0A",
     "2.486", "g", True, "T", None, None),
    ("2.1", "toledo-continuous", None,
     "02 2C 30 20 30 31 32 33 34 35 30 30 30 30 30 30 0D 26",
     "123.45", "kg", True, "G", "0.00", None),
    ("2.2", "toledo-continuous", None,
     "02 2C 31 20 30 31 32 33 34 35 30 30 30 31 32 30 0D 22",
     "123.45", "kg", True, "N", "1.20", None),
    ("2.3", "toledo-continuous", None,
     "02 2C 38 20 30 31 32 33 35 30 30 30 30 30 30 30 0D 22",
     "123.50", "kg", False, "G", "0.00", None),
    ("2.4", "toledo-continuous", None,
     "02 2C 32 20 30 30 30 31 35 30 30 30 30 30 30 30 0D 2D",
     "-1.50", "kg", True, "G", "0.00", None),
    ("2.5", "toledo-continuous", None,
     "02 29 30 20 30 30 32 35 36 38 30 30 30 30 30 30 0D 23",
     "25680", "kg", True, "G", "0", None),
    ("2.6", "toledo-continuous", None,
     "02 2A 30 20 30 32 35 36 38 30 30 30 30 30 30 30 0D",
     "25680", "kg", True, "G", "0", None),
    ("2b.2", "toledo-8217", None, "02 30 31 2E 32 33 34 0D", "1.234", None, True, "G", None, None),
    ("2b.3", "toledo-8217", None, "02 3F 01 0D", "0", None, False, "G", None, "motion"),
    ("2b.4", "toledo-8217", None, "02 3F 04 0D", "0", None, True, "G", None, "negative"),
    ("3.1", "xk3190", None, "02 2B 30 30 31 35 36 30 30 31 39 03",
     "1560", None, None, None, None, None),
    ("3.2", "xk3190", None, "02 2B 30 30 30 30 30 30 30 31 42 03",
     "0", None, None, None, None, None),
    ("3.3", "xk3190", None, "02 2B 31 32 33 34 35 36 32 31 45 03",
     "1234.56", None, None, None, None, None),
    ("3.4", "xk3190", None, "02 2D 30 30 30 31 35 30 32 31 42 03",
     "-1.50", None, None, None, None, None),
    ("3.5", "xk3190", None, "02 2B 30 31 32 33 34 35 31 31 42 03",
     "1234.5", None, None, None, None, None),
    ("4.1", "xk3190", "reversed", "3D 30 30 30 2E 33 30 30 30",
     "3.000", None, None, None, None, None),
    ("4.2", "xk3190", "reversed", "3D 30 30 2E 31 30 30 30 2D",
     "-1.00", None, None, None, None, None),
    ("4.3", "xk3190", "reversed", "3D 30 38 36 35 32 30 30 30",
     "25680", None, None, None, None, None),
    ("4.4", "xk3190", "reversed", "3D 36 35 2E 34 33 32 31 30",
     "1234.56", None, None, None, None, None),
    ("4.5", "xk3190", "forward", "3D 30 30 30 33 2E 30 30 30",
     "3.000", None, None, None, None, None),
    ("4.6", "xk3190", "forward", "3D 2D 30 30 30 31 2E 30 30",
     "-1.00", None, None, None, None, None),
    ("5.5", "xk3190", "command", "02 41 42 2B 30 32 35 36 38 30 30 31 31 03",
     "25680", None, None, "G", None, None),
    ("5.6", "xk3190", "command", "02 41 43 2B 30 31 32 33 34 30 30 31 44 03",
     "12340", None, None, "T", None, None),
    ("6.1", "yaohua-a12e", None, "57 47 30 30 34 2E 31 33 39 6B 67 33 44 0D 0A",
     "4.139", "kg", None, "G", None, None),
    ("6.2", "yaohua-a12e", None, "57 4E 2D 30 31 2E 32 35 30 6B 67 32 30 0D 0A",
     "-1.250", "kg", None, "N", None, None),
    ("6.3", "yaohua-a12e", None, "20 20 20 20 20 20 20 20 20 4F 4C 32 33 0D 0A",
     "0", None, None, None, None, "overload"),
    ("6.4", "yaohua-a12e", None, "20 20 20 20 20 20 20 20 20 4C 4F 32 33 0D 0A",
     "0", None, None, None, None, "underload"),
    ("6b.1", "yaohua-a12e", None, b"ww000.000lb\n".hex(" "),
     "0.000", "lb", None, "G", None, None),
    ("6b.2", "yaohua-a12e", None, b"wn-0000.1kg\n".hex(" "),
     "-0.1", "kg", None, "N", None, None),
    ("6b.3", "yaohua-a12e", None, b"wt000.000kg\n".hex(" "),
     "0.000", "kg", None, "T", None, None),
    ("7.1", "st-gs", None, "53 54 2C 47 53 2C 2B 30 30 30 31 32 33 34 6B 67 0D 0A",
     "1234", "kg", True, "G", None, None),
    ("7.2", "st-gs", None, "53 54 2C 4E 54 2C 2B 30 30 31 32 2E 33 34 6B 67 0D 0A",
     "12.34", "kg", True, "N", None, None),
    ("7.3", "st-gs", None, "55 53 2C 47 53 2C 2D 30 30 30 30 31 2E 35 6B 67 0D 0A",
     "-1.5", "kg", False, "G", None, None),
    ("7.4", "st-gs", None, "53 54 2C 54 52 2C 2B 30 30 30 30 35 2E 30 6B 67 0D 0A",
     "5.0", "kg", True, "T", None, None),
    ("7.5", "st-gs", None, "4F 4C 2C 47 53 2C 2B 20 20 20 20 20 20 20 6B 67 0D 0A",
     "0", "kg", None, "G", None, "overload"),
    ("7.6", "st-gs", None, "53 54 2C 47 20 2C 2B 30 31 32 33 34 2E 35 6B 67 0D 0A",
     "1234.5", "kg", True, "G", None, None),
    ("7.7", "st-gs", None, "53 54 2C 47 53 2C 2B 30 31 32 33 34 35 36 0D 0A",
     "123456", None, True, "G", None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("number", "protocol", "variant", "wire", "weight", "unit", "stable", "kind", "tare", "error"),
    FRAMES,
    ids=[f[0] for f in FRAMES],
)
def test_frame_parses_to_its_documented_reading(
    number: str,
    protocol: str,
    variant: str | None,
    wire: str,
    weight: str,
    unit: str | None,
    stable: bool | None,
    kind: str | None,
    tare: str | None,
    error: str | None,
) -> None:
    """The decimals are kept as sent (123.50 stays 123.50), and raw is the exact frame."""
    frame = bytes.fromhex(wire)
    reading = proto(protocol, variant).parse(frame)
    assert reading == Reading(
        Decimal(weight), unit, stable, kind, None if tare is None else Decimal(tare), error, frame
    )
    assert str(reading.weight) == weight
    assert tare is None or str(reading.tare) == tare


@pytest.mark.parametrize(
    ("number", "protocol", "variant", "wire", "weight", "unit", "stable", "kind", "tare", "error"),
    FRAMES,
    ids=[f[0] for f in FRAMES],
)
def test_frame_decodes_the_same_from_a_stream(
    number: str,
    protocol: str,
    variant: str | None,
    wire: str,
    weight: str,
    unit: str | None,
    stable: bool | None,
    kind: str | None,
    tare: str | None,
    error: str | None,
) -> None:
    """Three copies fed one byte at a time come out as three identical readings."""
    frame = bytes.fromhex(wire)
    decoder = proto(protocol, variant).decoder()
    out: list[object] = []
    for byte in frame * 3 + (b"\x02" if protocol == "toledo-continuous" else b""):
        out += decoder.feed(bytes((byte,)))
    assert len(out) == 3
    assert all(isinstance(r, Reading) and str(r.weight) == weight and r.raw == frame for r in out)


def test_toledo_frames_read_the_same_with_parity_bits() -> None:
    """A 7E1 scale on an 8N1 pty: bit 7 carries parity and is masked before decoding."""
    frame = bytes.fromhex("02 2C 31 20 30 31 32 33 34 35 30 30 30 31 32 30 0D 22")
    with_parity = bytes(b | (bin(b).count("1") & 1) << 7 for b in frame)
    assert with_parity != frame
    reading = proto("toledo-continuous").parse(with_parity)
    assert (reading.weight, reading.kind, reading.tare) == (Decimal("123.45"), "N", Decimal("1.20"))
    [streamed] = proto("toledo-continuous", "checksum").decoder().feed(with_parity)
    assert isinstance(streamed, Reading)
    assert streamed.weight == Decimal("123.45")


HOST_FRAMES = [
    ("1.4", proto("mt-sics").request(), "53 49 0D 0A"),
    ("2b.1", proto("toledo-8217").request(), "57"),
    ("5.1", command_frame("A", b"A"), "02 41 41 30 30 03"),
    ("5.2", proto("xk3190", "command").request(), "02 41 42 30 33 03"),
    ("5.3", command_frame("A", b"C"), "02 41 43 30 32 03"),
    ("5.4", command_frame("A", b"D"), "02 41 44 30 35 03"),
]


@pytest.mark.parametrize(("number", "sent", "wire"), HOST_FRAMES, ids=[h[0] for h in HOST_FRAMES])
def test_host_commands_are_byte_exact(number: str, sent: bytes | None, wire: str) -> None:
    assert sent == bytes.fromhex(wire)


def test_continuous_protocols_send_no_request() -> None:
    for protocol, variant in [
        ("toledo-continuous", None),
        ("xk3190", None),
        ("xk3190", "reversed"),
        ("yaohua-a12e", None),
        ("st-gs", None),
    ]:
        assert proto(protocol, variant).request() is None


def _fix_toledo(frame: bytes) -> bytes:
    """Recompute a Toledo checksum, so a test changes exactly one other thing."""
    body = frame[:-1]
    return body + bytes((-sum(body) & 0x7F,))


def _xor_framed(body: bytes) -> bytes:
    return b"\x02" + body + hex2(xor(body)) + b"\x03"


def _xor_line(body: bytes) -> bytes:
    return body + hex2(xor(body)) + b"\r\n"


TOLEDO_2_1 = bytes.fromhex("02 2C 30 20 30 31 32 33 34 35 30 30 30 30 30 30 0D 26")

CORRUPT = [
    ("3.6 bad XOR", "xk3190", None, bytes.fromhex("02 2B 30 30 31 35 36 30 30 30 30 03"),
     "bad_checksum"),
    ("xk3190 XOR not hex", "xk3190", None, b"\x02+0015600+9\x03", "bad_checksum"),
    ("xk3190 short", "xk3190", None, b"\x02+00156019\x03", "wrong_length"),
    ("xk3190 sign", "xk3190", None, _xor_framed(b"*0015600"), "bad_sign"),
    ("xk3190 decimals", "xk3190", None, _xor_framed(b"+0015607"), "bad_decimals"),
    ("xk3190 digit", "xk3190", None, _xor_framed(b"+00x5600"), "non_digit"),
    ("toledo checksum", "toledo-continuous", None, TOLEDO_2_1[:-1] + b"\x27", "bad_checksum"),
    ("toledo SWA count-by", "toledo-continuous", None,
     _fix_toledo(b"\x02\x24" + TOLEDO_2_1[2:]), "bad_status"),
    ("toledo digit", "toledo-continuous", None,
     _fix_toledo(TOLEDO_2_1[:5] + b"A" + TOLEDO_2_1[6:]), "non_digit"),
    ("toledo tare digit", "toledo-continuous", None,
     _fix_toledo(TOLEDO_2_1[:12] + b" " + TOLEDO_2_1[13:]), "non_digit"),
    ("toledo length", "toledo-continuous", None, TOLEDO_2_1[:15] + b"\r", "wrong_length"),
    ("8217 weight", "toledo-8217", None, b"\x0201.2x4\r", "non_digit"),
    ("8217 status length", "toledo-8217", None, b"\x02?\x01\x01\r", "wrong_length"),
    ("= digit", "xk3190", "reversed", b"=00x.3000", "non_digit"),
    ("= sign", "xk3190", "reversed", b"=000.300*", "bad_sign"),
    ("= two points", "xk3190", "forward", b"=00.03.00", "non_digit"),
    ("command XOR", "xk3190", "command", b"\x02AB+025680012\x03", "bad_checksum"),
    ("command address", "xk3190", "command", _xor_framed(b"BB+0256800"), "bad_address"),
    ("command unknown", "xk3190", "command", _xor_framed(b"AZ+0256800"), "unknown_reply"),
    ("command digit", "xk3190", "command", _xor_framed(b"AB+02x6800"), "non_digit"),
    ("A12E XOR", "yaohua-a12e", None, b"WG004.139kg3E\r\n", "bad_checksum"),
    ("A12E length", "yaohua-a12e", None, b"WG04.139kg3D\r\n", "wrong_length"),
    ("A12E unit", "yaohua-a12e", None, _xor_line(b"WG004.139oz"), "bad_unit"),
    ("A12E header", "yaohua-a12e", None, _xor_line(b"WX004.139kg"), "bad_header"),
    ("A12E weight", "yaohua-a12e", None, _xor_line(b"WG00-.139kg"), "non_digit"),
    ("A12E status", "yaohua-a12e", None, _xor_line(b" " * 9 + b"XX"), "bad_status"),
    ("A12 line", "yaohua-a12e", None, b"wn-00x0.1kg\n", "non_digit"),
    ("MT-SICS status", "mt-sics", None, b"S X     12.345 kg\r\n", "bad_status"),
    ("MT-SICS weight", "mt-sics", None, b"S S     12.3x5 kg\r\n", "non_digit"),
    ("MT-SICS tokens", "mt-sics", None, b"S S 12.345\r\n", "wrong_length"),
    ("MT-SICS command", "mt-sics", None, b"Q S 1 kg\r\n", "unknown_reply"),
    ("ST,GS header 1", "st-gs", None, b"XX,GS,+0001234kg\r\n", "bad_header"),
    ("ST,GS header 2", "st-gs", None, b"ST,QQ,+0001234kg\r\n", "bad_header"),
    ("ST,GS weight", "st-gs", None, b"ST,GS,+00 1234kg\r\n", "non_digit"),
    ("ST,GS shape", "st-gs", None, b"ST;GS;+0001234kg\r\n", "wrong_length"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "protocol", "variant", "frame", "reason"), CORRUPT, ids=[c[0] for c in CORRUPT]
)
def test_corrupt_frame_is_refused_with_its_reason(
    name: str, protocol: str, variant: str | None, frame: bytes, reason: str
) -> None:
    with pytest.raises(FrameError) as caught:
        proto(protocol, variant).parse(frame)
    assert caught.value.reason == reason
    assert caught.value.raw == frame


def test_a_checksum_that_is_0x02_is_still_a_checksum() -> None:
    """A Toledo checksum byte may equal STX; the stream decoder must not take it for the next
    frame (it completes the 7-bit sum, a new frame's STX would not)."""
    for digits in range(990000, 1000000):
        body = b"\x02,0 %06d000000\r" % digits
        if -sum(body) & 0x7F == 0x02:
            break
    else:
        raise AssertionError("no frame with checksum 0x02 in the range")
    frame = body + b"\x02"
    out = proto("toledo-continuous").decoder().feed(frame + TOLEDO_2_1)
    assert [type(x) for x in out] == [Reading, Reading]
    assert out[0].raw == frame  # type: ignore[union-attr]


def test_protocol_names_are_the_model_enum() -> None:
    """The pure core spells the protocols as station.models.ScaleProtocol does."""
    assert set(VARIANTS) == {p.value for p in ScaleProtocol}


def test_config_refuses_what_cannot_work() -> None:
    for field, overrides in [
        ("protocol", {"protocol": "dini-argeo"}),
        ("variant", {"variant": "reversed"}),
        ("unit", {"unit": "lb"}),
        ("division_kg", {"division_kg": Decimal(0)}),
        ("capacity_kg", {"capacity_kg": 3000}),
        ("parity", {"parity": "X"}),
        ("address", {"address": "a"}),
    ]:
        values = {"protocol": "st-gs", **overrides}
        with pytest.raises(ScaleConfigError) as caught:
            config(**values)  # type: ignore[arg-type]
        assert caught.value.field == field


def test_every_frame_of_frames_md_is_tested() -> None:
    """Guards the table above: a frame added to frames.md without a test fails here."""
    if not FRAMES_MD.exists():
        pytest.skip(f"{FRAMES_MD} is not beside this checkout")
    text = FRAMES_MD.read_text(encoding="utf-8")
    documented = {
        m.group(1).replace(" ", "").lower()
        for m in re.finditer(r"\|\s*((?:[0-9A-F]{2} ){2,}[0-9A-F]{2})\s*(?:…\s*)?\|", text)
    }
    tested = {f[3].replace(" ", "").lower() for f in FRAMES}
    tested |= {h[2].replace(" ", "").lower() for h in HOST_FRAMES}
    tested |= {c[3].hex() for c in CORRUPT}
    tested.add(b"S\r\n".hex())  # 1.1: test_simulator answers it
    missing = sorted(h for h in documented if not any(t.startswith(h) for t in tested))
    assert len(documented) >= 45
    assert not missing, f"frames.md frames without a test: {missing}"

"""Stream decoding: frames split across reads, glued together, behind garbage or a partial
frame, and the simulator's encoder producing what the parsers read back."""

from __future__ import annotations

from decimal import Decimal

import pytest

from station.scales import FrameError, Reading
from station.scales.base import JUNK_LIMIT
from tests.station.scales.helpers import proto

TOLEDO = bytes.fromhex("02 2C 30 20 30 31 32 33 34 35 30 30 30 30 30 30 0D 26")
TOLEDO_NO_CHECKSUM = bytes.fromhex("02 2A 30 20 30 32 35 36 38 30 30 30 30 30 30 30 0D")
XK_STX = b"\x02+001560019\x03"
A12E = b"WG004.139kg3D\r\n"
ST_GS = b"ST,GS,+0001234kg\r\n"


def weights(items: list[Reading | FrameError]) -> list[str]:
    return [str(i.weight) for i in items if isinstance(i, Reading)]


def errors(items: list[Reading | FrameError]) -> list[str]:
    return [i.reason for i in items if isinstance(i, FrameError)]


def test_concatenated_equals_frames_split_on_equals() -> None:
    """The A26 manual's own stream `=000.3000=000.3000=000.3000`, in odd-sized reads."""
    stream = b"=000.3000" * 3
    decoder = proto("xk3190", "reversed").decoder()
    out = decoder.feed(stream[:5]) + decoder.feed(stream[5:13]) + decoder.feed(stream[13:])
    assert weights(out) == ["3.000", "3.000", "3.000"]
    assert errors(out) == []


def test_equals_stream_drops_a_partial_frame_and_garbage() -> None:
    decoder = proto("xk3190", "forward").decoder()
    out = decoder.feed(b"01.00=0003.000=00=-0001.00xx=0003.000")
    assert weights(out) == ["3.000", "-1.00", "3.000"]
    assert errors(out) == ["garbage"] * 3  # "01.00" at start-up, "=00", "xx"


def test_startup_in_the_middle_of_a_frame_resynchronises_at_the_next_start_marker() -> None:
    for protocol, variant, frame in [
        ("xk3190", None, XK_STX),
        ("toledo-continuous", None, TOLEDO),
        ("yaohua-a12e", None, A12E),
        ("st-gs", None, ST_GS),
        ("xk3190", "command", b"\x02AB+025680011\x03"),
    ]:
        decoder = proto(protocol, variant).decoder()
        out = decoder.feed(frame[5:] + frame + frame[:3]) + decoder.feed(frame[3:])
        assert len(weights(out)) == 2, protocol
        assert errors(out) == ["garbage"], protocol


def test_noise_between_frames_is_one_error_per_run() -> None:
    """Dropped bytes are reported once per run, however the reads cut them."""
    decoder = proto("xk3190").decoder()
    out = decoder.feed(XK_STX + b"\x00\xff") + decoder.feed(b"#\x02+00") + decoder.feed(XK_STX)
    assert weights(out) == ["1560", "1560"]
    assert errors(out) == ["garbage"]
    assert out[1].raw == b"\x00\xff#\x02+00"  # type: ignore[union-attr]


def test_a_long_run_of_garbage_is_reported_without_waiting_for_a_frame() -> None:
    decoder = proto("st-gs").decoder()
    out = decoder.feed(b"\x00" * (JUNK_LIMIT + 10))
    assert errors(out) == ["garbage"]


def test_half_a_line_glued_to_a_whole_one_costs_only_the_half() -> None:
    for protocol, frame in [("st-gs", ST_GS), ("yaohua-a12e", A12E), ("mt-sics", None)]:
        frame = frame or b"S S     12.345 kg\r\n"
        out = proto(protocol).decoder().feed(frame[:9] + frame)
        assert len(weights(out)) == 1, protocol
        assert errors(out) == ["garbage"], protocol


def test_cr_lf_split_across_reads_keeps_the_exact_frame() -> None:
    decoder = proto("mt-sics").decoder()
    frame = b"S S     12.345 kg\r\n"
    first = decoder.feed(frame[:-1])
    assert first == []  # a CR at the end waits for a possible LF
    [reading] = decoder.feed(frame[-1:])
    assert isinstance(reading, Reading)
    assert reading.raw == frame


def test_st_gs_lines_ended_by_cr_alone() -> None:
    out = proto("st-gs").decoder().feed(b"ST,GS,+0001234kg\rUS,GS,+0001235kg\rST,GS,+0001235kg\r\n")
    assert weights(out) == ["1234", "1235", "1235"]


def test_bad_checksum_in_a_stream_is_an_error_between_good_readings() -> None:
    bad = b"\x02+001560000\x03"
    out = proto("xk3190").decoder().feed(XK_STX + bad + XK_STX)
    assert weights(out) == ["1560", "1560"]
    assert errors(out) == ["bad_checksum"]


def test_toledo_learns_a_stream_without_checksums() -> None:
    """Without a checksum a frame waits for the next byte once; after the stream has shown
    that STX follows CR, each frame is read as soon as its CR arrives."""
    decoder = proto("toledo-continuous").decoder()
    assert decoder.feed(TOLEDO_NO_CHECKSUM) == []  # a checksum may still follow
    assert weights(decoder.feed(TOLEDO_NO_CHECKSUM)) == ["25680", "25680"]
    assert weights(decoder.feed(TOLEDO_NO_CHECKSUM)) == ["25680"]
    # and it still reads a checksummed frame when one comes
    assert weights(decoder.feed(TOLEDO + b"\x02")) == ["123.45"]


def test_toledo_configured_without_checksum_reads_at_once() -> None:
    decoder = proto("toledo-continuous", "no-checksum").decoder()
    assert weights(decoder.feed(TOLEDO_NO_CHECKSUM)) == ["25680"]


def test_toledo_configured_with_checksum_refuses_a_frame_without() -> None:
    decoder = proto("toledo-continuous", "checksum").decoder()
    out = decoder.feed(TOLEDO_NO_CHECKSUM + TOLEDO)
    assert errors(out)[0] == "bad_checksum"


def test_toledo_status_bytes_that_look_like_markers() -> None:
    """Fairbanks clears SWB bit 5, so SWB can be 0x02 (STX) or 0x0D (CR): frames are cut
    by position, never by marker."""
    for swb in (0x02, 0x0D):
        body = b"\x02\x2c%c\x20012345000000\r" % swb
        frame = body + bytes((-sum(body) & 0x7F,))
        out = proto("toledo-continuous").decoder().feed(frame + TOLEDO)
        assert len(weights(out)) == 2, swb
        assert errors(out) == [], swb


def test_toledo_8217_status_byte_that_is_a_cr_or_stx() -> None:
    """Status 0x0D = moving + negative + zero range; 0x02 = over capacity."""
    decoder = proto("toledo-8217").decoder()
    out = decoder.feed(b"\x02?\x0d\r\x02?\x02\r\x0201.234\r")
    assert [getattr(r, "error", None) for r in out] == ["negative", "overload", None]


def test_reset_forgets_a_partial_frame() -> None:
    """After a reconnect the old tail belongs to nothing: its rest is garbage."""
    decoder = proto("xk3190").decoder()
    assert decoder.feed(XK_STX[:6]) == []
    decoder.reset()
    out = decoder.feed(XK_STX[6:] + XK_STX)
    assert errors(out) == ["garbage"]
    assert weights(out) == ["1560"]


ROUND_TRIP = [
    ("mt-sics", None), ("toledo-continuous", None), ("toledo-continuous", "no-checksum"),
    ("toledo-8217", None), ("xk3190", None), ("xk3190", "reversed"), ("xk3190", "forward"),
    ("xk3190", "command"), ("yaohua-a12e", None), ("yaohua-a12e", "a12"), ("st-gs", None),
    ("st-gs", "no-unit"),
]  # fmt: skip


@pytest.mark.parametrize(("protocol", "variant"), ROUND_TRIP)
@pytest.mark.parametrize("weight", ["0", "1234.5", "2999.5", "-1.5", "0.020", "25680"])
def test_encode_writes_what_parse_reads(protocol: str, variant: str | None, weight: str) -> None:
    """The simulator's frames are valid for the parsers: weight, decimals, kind, flag."""
    p = proto(protocol, variant)
    value = Decimal(weight)
    if protocol == "toledo-8217" and value < 0:  # 8217 sends no negative weight
        assert p.parse(p.encode(Reading(value, "kg", True, "G"))).error == "negative"
        return
    stable = not (protocol in ("st-gs", "mt-sics") and weight == "2999.5")
    reading = Reading(value, "kg", stable, "N" if weight == "1234.5" else "G")
    frame = p.encode(reading)
    back = p.parse(frame)
    assert str(back.weight) == weight
    assert back.unit in ("kg", None)
    if p.stability_flag and protocol != "toledo-8217":
        assert back.stable is stable
    [streamed] = p.decoder().feed(frame + (b"\x02" if protocol == "toledo-continuous" else b""))
    assert isinstance(streamed, Reading)
    assert streamed.weight == value


@pytest.mark.parametrize(
    ("protocol", "variant"), [("toledo-continuous", None), ("yaohua-a12e", None), ("st-gs", None)]
)
def test_encode_an_overload(protocol: str, variant: str | None) -> None:
    p = proto(protocol, variant)
    back = p.parse(p.encode(Reading(Decimal("3010"), "kg", True, "G", error="overload")))
    assert back.error == "overload"


def test_formats_that_cannot_say_overload_refuse_to_encode_it() -> None:
    for protocol, variant in [("xk3190", None), ("xk3190", "reversed"), ("xk3190", "command")]:
        with pytest.raises(ValueError, match="error"):
            proto(protocol, variant).encode(Reading(Decimal(0), error="overload"))

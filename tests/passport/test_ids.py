"""IDs, URIs and GS1 keys: valid forms accepted exactly, every bad one refused with its reason."""

import pytest

from core.errors import Invalid
from passport import ids

HOST = "huanlian.example"


@pytest.mark.parametrize("good", ["HL-2026-000123", "ST01-SRT-20261201-0007", "A", "9-9"])
def test_valid_ids_are_returned_unchanged(good: str) -> None:
    assert ids.validate_id(good) == good


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("hl-1", "characters outside A-Z 0-9 -"),  # never upper-cased silently
        ("HL 1", "characters outside A-Z 0-9 -"),
        ("HL_1", "characters outside A-Z 0-9 -"),
        ("批次1", "characters outside A-Z 0-9 -"),
        ("-HL", "misplaced hyphen"),
        ("HL--1", "misplaced hyphen"),
        ("", "required"),
        ("A" * 41, "too long"),
    ],
)
def test_bad_ids_are_refused_naming_the_field(bad: str, reason: str) -> None:
    with pytest.raises(Invalid) as caught:
        ids.validate_id(bad, "lot_id")
    assert caught.value.fields == {"lot_id": reason}


def test_gs1_check_digits_of_published_keys() -> None:
    # GS1 General Specifications examples: GTIN-13 4006381333931, GTIN-8 96385074,
    # GTIN-12 036000291452, SSCC 106141411234567897
    assert ids.validate_gtin("4006381333931") == "04006381333931"
    assert ids.validate_gtin("96385074") == "00000096385074"
    assert ids.validate_gtin("036000291452") == "00036000291452"
    assert ids.validate_gtin("10614141000415") == "10614141000415"
    assert ids.validate_sscc("106141411234567897") == "106141411234567897"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("4006381333932", "wrong check digit"),
        ("400638133393", "wrong check digit"),  # GTIN-12 length, wrong digit
        ("40063813339", "wrong length"),
        ("40063813339X1", "digits only"),
        ("", "required"),
    ],
)
def test_bad_gtins_are_refused_with_the_reason(code: str, reason: str) -> None:
    with pytest.raises(Invalid) as caught:
        ids.validate_gtin(code)
    assert caught.value.fields == {"gtin": reason}


def test_a_wrong_check_digit_names_the_right_one() -> None:
    with pytest.raises(Invalid) as caught:
        ids.validate_sscc("106141411234567890")
    assert caught.value.params == {"key": "SSCC", "expected": "7", "actual": "0"}


def test_uris_and_digital_links_round_trip() -> None:
    lot = ids.lot_uri(HOST, "HL-7")
    assert lot == "https://huanlian.example/lot/HL-7"
    assert ids.parse_uri(lot) == ids.ScannedId("lot", HOST, lot_id="HL-7")
    link = ids.digital_link_gtin(HOST, "4006381333931", "HL-7")
    assert link == "https://huanlian.example/01/04006381333931/10/HL-7"
    assert ids.parse_uri(link) == ids.ScannedId(
        "gtin_lot", HOST, lot_id="HL-7", gtin="04006381333931"
    )
    unit = ids.digital_link_sscc(HOST, "106141411234567897")
    assert unit == "https://huanlian.example/00/106141411234567897"
    assert ids.parse_uri(unit).sscc == "106141411234567897"
    assert ids.parse_uri("http://127.0.0.1:5000/lot/HL-7/?linkType=all").lot_id == "HL-7"
    assert ids.parse_scan("HL-7", host=HOST) == ids.ScannedId("lot", HOST, lot_id="HL-7")


def test_digital_link_refuses_a_bad_key_and_a_long_batch() -> None:
    with pytest.raises(Invalid):
        ids.digital_link_gtin(HOST, "4006381333932", "HL-7")
    with pytest.raises(Invalid) as caught:
        ids.digital_link_gtin(HOST, "4006381333931", "ST01-SRT-20261201-0007")
    assert caught.value.fields == {"lot_id": "too long for AI 10"}


@pytest.mark.parametrize(
    "scan",
    [
        "https://huanlian.example/lot/hl-7",  # lower case is not our ID
        "https://huanlian.example/lot/HL%2D7",
        "https://huanlian.example/lots/HL-7",
        "https://huanlian.example/01/04006381333932/10/HL-7",  # bad check digit
        "https://huanlian.example/00/12345",
        "ftp://huanlian.example/lot/HL-7",
        "https://huanlian.example/lot/HL-7#x",
        "https://HUANLIAN.example/lot/HL-7",
        "not a uri",
        "",
        None,
    ],
)
def test_malformed_scans_are_a_400_the_edge_can_answer(scan: object) -> None:
    with pytest.raises(ids.MalformedIdentifier) as caught:
        ids.parse_scan(scan, host=HOST)
    assert caught.value.status == 400
    assert caught.value.fields


def test_a_uri_of_another_host_is_refused() -> None:
    with pytest.raises(ids.MalformedIdentifier):
        ids.parse_uri("https://elsewhere.example/lot/HL-7", host=HOST)

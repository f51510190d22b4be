"""EPCIS events: every builder's output validates under BOTH schemas and expands offline;
the official examples do too; the format checker really checks; bad input is refused."""

import copy
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest
from pyld import jsonld

from core.errors import Invalid
from passport import epcis, validate
from passport.epcis import Measurement, Portion
from tests.conftest import SHARED as SHARED_ROOT
from tests.passport.fixture import HOST, SITE, build_world, org, uri

SHARED = SHARED_ROOT / "standards" / "epcis"
GS1 = [("gs1/EPCIS", validate.validator(validate.load_json(SHARED / "EPCIS-JSON-Schema.json")))]
EXAMPLES = sorted((SHARED / "examples").glob("*.jsonld"))
PROTECTED = "transformation_event_all_possible_fields.jsonld"
AT = datetime(2026, 12, 1, 2, 3, 4, 567000, tzinfo=UTC)


@pytest.fixture(scope="module")
def world():
    return build_world()


def test_the_format_checker_knows_date_time_and_uri() -> None:
    checker = validate.FORMAT_CHECKER
    assert not checker.conforms("2026-13-01T00:00:00Z", "date-time")
    assert not checker.conforms("2026-12-01 02:03:04", "date-time")
    assert checker.conforms("2026-12-01T02:03:04.5+08:00", "date-time")
    assert not checker.conforms("not a uri", "uri")
    assert not checker.conforms("weighing", "uri")
    assert checker.conforms("https://huanlian.example/voc/bizstep/sorting", "uri")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_official_examples_validate_under_both_schemas(path: Path) -> None:
    document = validate.load_json(path)
    assert validate.schema_errors(document, GS1) == []
    assert validate.quick_schema_errors(document) == []


@pytest.mark.parametrize("path", [p for p in EXAMPLES if p.name != PROTECTED], ids=lambda p: p.name)
def test_official_examples_expand_offline(path: Path) -> None:
    expanded = validate.expand(validate.load_json(path))
    assert expanded
    assert "https://ref.gs1.org/epcis/eventList" in str(expanded)


def test_the_example_redefining_a_protected_prefix_is_refused_by_json_ld() -> None:
    document = validate.load_json(SHARED / "examples" / PROTECTED)
    assert validate.schema_errors(document, GS1) == []  # schema-valid …
    with pytest.raises(Invalid) as caught:  # … but a JSON-LD 1.1 processor must refuse it
        validate.check_document(document, GS1)
    assert caught.value.params["reason"] == "protected term redefinition"


def test_the_loader_never_fetches() -> None:
    with pytest.raises(jsonld.JsonLdError):
        validate.offline_loader("https://example.org/context.jsonld")
    document = epcis.document([], created_at=AT)
    document["@context"].append("https://example.org/context.jsonld")
    with pytest.raises(Invalid) as caught:
        validate.expand(document)
    assert "loading remote context failed" in caught.value.params["reason"]


def test_every_builder_validates_and_expands(world) -> None:
    events = world.ledger.history
    kinds = {(e["type"], e.get("bizStep")) for e in events}
    assert len(kinds) >= 11  # every lifecycle step is represented
    for event in events:
        validate.validate_event(event, GS1)
    expanded = validate.check_document(epcis.document(events, created_at=AT), GS1)
    text = str(expanded)
    assert "https://huanlian.example/voc/inputHeads" in text
    assert "https://ref.gs1.org/cbv/BizStep-sensor_reporting" in text


def test_weighing_reports_the_mass_in_kgm() -> None:
    event = epcis.weighing(
        uri("HL-1"),
        at=AT,
        net_g=1_234_567,
        gross_g=1_500_000,
        tare_g=265_433,
        scale=f"https://{HOST}/scale/S1",
    )
    assert event["quantityList"] == [{"epcClass": uri("HL-1"), "quantity": 1234.567, "uom": "KGM"}]
    reports = event["sensorElementList"][0]["sensorReport"]
    assert reports[0] == {"type": "Mass", "value": 1234.567, "uom": "KGM"}
    assert [r.get("hl:role") for r in reports] == [None, "gross", "tare"]
    assert event["eventTime"] == "2026-12-01T02:03:04.567Z"
    assert event["eventTimeZoneOffset"] == "+08:00"


def test_event_ids_are_content_hashes_that_ignore_the_declaration() -> None:
    event = epcis.storing(uri("HL-1"), at=AT, location=SITE)
    assert event["eventID"] == epcis.event_id(event)
    assert event["eventID"].startswith("ni:///sha-256;")
    assert event["eventID"].endswith("?ver=hl-jcs-1")
    corrective = epcis.storing(
        uri("HL-1"), at=AT + timedelta(hours=1), location=f"https://{HOST}/site/X"
    )
    declared, again = epcis.correction(
        event, corrective, at=AT + timedelta(hours=2), reason="incorrect_data"
    )
    assert declared["eventID"] == event["eventID"] == epcis.event_id(declared)
    assert declared["errorDeclaration"]["correctiveEventIDs"] == [corrective["eventID"]]
    assert again == corrective
    assert "errorDeclaration" not in event
    with pytest.raises(Invalid):
        epcis.correction(declared, corrective, at=AT)


def test_a_document_with_a_wrong_value_is_refused_naming_the_field() -> None:
    event = epcis.storing(uri("HL-1"), at=AT, location=SITE)
    for key, value, path in [
        ("eventTime", "2026-12-01T25:00:00Z", "epcisBody.eventList[0].eventTime"),
        ("bizStep", "weighing", "epcisBody.eventList[0].bizStep"),
        ("action", "SMASH", "epcisBody.eventList[0].action"),
    ]:
        bad = copy.deepcopy(event) | {key: value}
        with pytest.raises(Invalid) as caught:
            validate.validate_event(bad, GS1)
        assert any(path.startswith(field) for field in caught.value.fields)  # event or value
        assert validate.quick_schema_errors(validate.as_document([bad]))  # both engines agree
    with pytest.raises(Invalid):
        validate.check_document([event])  # not even a document


def test_malformed_input_to_builders_is_refused() -> None:
    with pytest.raises(Invalid) as caught:
        epcis.weighing(uri("HL-1"), at=AT, net_g=-5, scale="https://x.example/s")
    assert caught.value.fields == {"net_g": "non-negative integer grams"}
    with pytest.raises(Invalid):
        epcis.weighing(
            uri("HL-1"), at=AT.replace(tzinfo=None), net_g=5, scale="https://x.example/s"
        )
    with pytest.raises(Invalid) as caught:
        epcis.transformation(
            [Portion(uri("HL-1"), 1000)],
            [Portion(uri("HL-2"), 1100)],
            at=AT,
            kind="sorting",
            input_heads={uri("HL-1"): (1, "0" * 64)},
        )
    assert caught.value.fields == {"outputs": "outweigh inputs"}
    with pytest.raises(Invalid) as caught:
        epcis.transformation(
            [Portion(uri("HL-1"), 1000)],
            [Portion(uri("HL-2"), 900)],
            at=AT,
            kind="sorting",
            input_heads={},
        )
    assert caught.value.fields == {"input_heads": "missing"}
    with pytest.raises(Invalid):
        epcis.end_use(uri("HL-1"), at=AT, use="burying")  # type: ignore[arg-type]


def test_the_zone_offset_follows_the_zone_and_times_are_utc() -> None:
    berlin = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    event = epcis.inspection(
        uri("HL-1"),
        at=berlin,
        conformant=False,
        tz="Europe/Berlin",
        measurements=[Measurement("Temperature", 21.5, "CEL")],
    )
    assert event["eventTime"] == "2026-07-01T10:00:00.000Z"
    assert event["eventTimeZoneOffset"] == "+02:00"
    assert event["disposition"] == "non_conformant"


def test_trades_carry_a_commitment_not_the_terms() -> None:
    terms = {"price_fen_per_t": 165_000}
    salt = b"s" * 16
    event = epcis.trade(
        uri("HL-1"),
        at=AT,
        transaction=f"https://{HOST}/trade/T1",
        seller=org(1),
        buyer=org(2),
        terms_commitment=epcis.commitment(terms, salt),
    )
    assert "165000" not in str(event)
    assert "165_000" not in str(event)
    assert (
        event["hl:termsCommitment"]
        == epcis.commitment(terms, salt)
        != epcis.commitment(terms, b"t" * 16)
    )
    validate.validate_event(event, GS1)


def test_draft7_is_the_validator_used() -> None:
    assert isinstance(validate.validator({}), jsonschema.Draft7Validator)

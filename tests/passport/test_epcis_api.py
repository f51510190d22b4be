"""EPCIS 2.0 capture and query: the official examples go in and come back equal; filters work."""

from __future__ import annotations

import copy
import json
from datetime import datetime

import pytest

from core.enums import OrgKind, Role
from passport.epcs import capture_chain
from passport.services.store import cbv_word
from tests.conftest import SHARED
from tests.factories import bearer, make_org, make_user

EPCIS = SHARED / "standards" / "epcis"
EXAMPLES = sorted((EPCIS / "examples").glob("*.jsonld"))
# its inline context redefines the protected term cbvmda: schema-valid, not JSON-LD expandable
NOT_EXPANDABLE = "transformation_event_all_possible_fields.jsonld"


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def erp(app):
    """A bearer token of a recycler's operator (an ERP), and GS1's schema as the second one."""
    app.config["PASSPORT_EXTRA_SCHEMAS"] = [str(EPCIS / "EPCIS-JSON-Schema.json")]
    user = make_user(make_org(OrgKind.RECYCLER), Role.OPERATOR)
    return bearer(user)


def post(client, headers, document):
    return client.post("/epcis/capture", json=document, headers=headers)


def all_events(client, headers, **params):
    events, url = [], "/epcis/events"
    query = dict(params)
    while True:
        response = client.get(url, query_string=query, headers=headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["type"] == "EPCISQueryDocument"
        events += body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        link = response.headers.get("Link")
        if not link:
            return events, body
        url, query = link[1 : link.index(">")], None


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_official_examples_are_captured_and_come_back_equal(client, erp, path) -> None:
    document = load(path)
    response = post(client, erp, document)
    if path.name == NOT_EXPANDABLE:
        assert response.status_code == 422
        assert "JSON-LD" in response.get_json()["error"]["message"]
        assert all_events(client, erp)[0] == []
        return
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert job["success"] is True
    assert job["eventCount"] == len(document["epcisBody"]["eventList"])
    assert client.get(response.headers["Location"], headers=erp).get_json() == {**job, "chains": []}
    events, body = all_events(client, erp)
    assert events == document["epcisBody"]["eventList"]
    for item in document["@context"][1:]:  # the sender's prefixes come back with its events
        assert item in body["@context"]
    # a replay of the same document is refused and changes nothing
    again = post(client, erp, document)
    assert again.status_code == 409
    assert len(all_events(client, erp)[0]) == len(events)


def _epcs(event, keys):
    found = []
    for key in keys:
        value = event.get(key)
        for item in value if isinstance(value, list) else [value] if value else []:
            found.append(item.get("epcClass") if isinstance(item, dict) else item)
    return found


def _time(text):
    return datetime.fromisoformat(text)


def test_simple_filters_and_pagination(client, erp) -> None:
    captured = []
    for path in EXAMPLES:
        if path.name != NOT_EXPANDABLE:
            document = load(path)
            if post(client, erp, document).status_code == 202:
                captured += document["epcisBody"]["eventList"]
    assert len(captured) >= 10
    everything, _ = all_events(client, erp, perPage="3")  # four pages and more
    assert everything == captured
    sample = next(e for e in captured if {"bizLocation", "readPoint", "epcList"} <= set(e))
    bounds = sorted(_time(e["eventTime"]) for e in captured)
    middle = bounds[len(bounds) // 2].isoformat()
    checks = {
        "eventType": (
            "ObjectEvent|AggregationEvent",
            lambda e: e["type"] in ("ObjectEvent", "AggregationEvent"),
        ),
        "GE_eventTime": (middle, lambda e: _time(e["eventTime"]) >= _time(middle)),
        "LT_eventTime": (middle, lambda e: _time(e["eventTime"]) < _time(middle)),
        "EQ_bizStep": (
            "shipping|receiving",
            lambda e: cbv_word(e.get("bizStep")) in ("shipping", "receiving"),
        ),
        "EQ_disposition": ("in_transit", lambda e: cbv_word(e.get("disposition")) == "in_transit"),
        "EQ_bizLocation": (
            sample["bizLocation"]["id"],
            lambda e: (e.get("bizLocation") or {}).get("id") == sample["bizLocation"]["id"],
        ),
        "EQ_readPoint": (
            sample["readPoint"]["id"],
            lambda e: (e.get("readPoint") or {}).get("id") == sample["readPoint"]["id"],
        ),
        "MATCH_epc": (
            sample["epcList"][0],
            lambda e: sample["epcList"][0] in _epcs(e, ("epcList", "childEPCs")),
        ),
    }
    parent = next(e for e in captured if e.get("parentID"))
    checks["MATCH_anyEPC"] = (
        parent["parentID"],
        lambda e: (
            parent["parentID"]
            in _epcs(e, ("epcList", "childEPCs", "inputEPCList", "outputEPCList", "parentID"))
        ),
    )
    for name, (value, keep) in checks.items():
        expected = [e for e in captured if keep(e)]
        found, _ = all_events(client, erp, **{name: value}, perPage="2")
        assert found == expected, name
        assert 0 < len(found) < len(captured), name  # each filter really narrows
    combined, _ = all_events(client, erp, eventType="ObjectEvent", EQ_bizStep="receiving")
    assert combined == [
        e
        for e in captured
        if e["type"] == "ObjectEvent" and cbv_word(e.get("bizStep")) == "receiving"
    ]


def test_bad_queries_and_documents_name_the_field(client, erp) -> None:
    for params, field in (
        ({"perPage": "0"}, "perPage"),
        ({"nextPageToken": "garbage!"}, "nextPageToken"),
        ({"GE_eventTime": "yesterday"}, "GE_eventTime"),
        ({"eventType": "NoSuchEvent"}, "eventType"),
        ({"EQ_colour": "red"}, "EQ_colour"),
    ):
        response = client.get("/epcis/events", query_string=params, headers=erp)
        assert response.status_code == 422, params
        assert field in response.get_json()["error"]["fields"]
    document = load(EPCIS / "examples" / "Example_9.6.1-ObjectEvent.jsonld")
    broken = copy.deepcopy(document)
    broken["epcisBody"]["eventList"][1]["eventTime"] = "not a time"
    response = post(client, erp, broken)
    assert response.status_code == 422
    assert any("eventList[1]" in f for f in response.get_json()["error"]["fields"])
    assert all_events(client, erp)[0] == []  # the valid first event was not kept either
    assert client.post("/epcis/capture", data="{", headers=erp).status_code == 422
    # without a token: refused (a cookie-less POST fails CSRF first), nothing stored
    assert client.post("/epcis/capture", json=document).status_code in (400, 401)
    assert client.get("/epcis/events").status_code == 401
    assert all_events(client, erp)[0] == []


def test_foreign_events_live_in_capture_chains(app, client, erp) -> None:
    from passport.services import proofs

    document = load(EPCIS / "examples" / "Example_9.6.1-ObjectEvent.jsonld")
    job = post(client, erp, document).get_json()
    epc = document["epcisBody"]["eventList"][0]["epcList"][0]
    assert capture_chain(epc) in job["chains"]
    report = proofs.verify_lot(capture_chain(epc))  # the same proofs cover captured events
    assert report.ok, report.problems

"""Service tenders through the API: the whole reverse auction, and every refusal by name."""

import sqlalchemy as sa

from core.db import db
from core.enums import OrgKind, Role
from marketplace.tenders.models import ServiceAward, ServiceQuote, ServiceRating, ServiceRequest
from tests.factories import bearer, make_org, make_user
from tests.marketplace.conftest import add_site
from tests.marketplace.tenders.conftest import body, past_deadline, publish, quote
from tests.marketplace.trading.conftest import licensed_recycler


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def api(client, method, path, user, **kwargs):
    return client.open(f"/api/v1{path}", method=method, headers=user.headers, **kwargs)


def test_reverse_auction_from_request_to_rating(client, producer, carriers) -> None:
    a, b, c = carriers
    req = publish(client, producer, budget_yuan="150")
    assert req["status"] == "open"
    assert req["quantity_t"] == "12.5"
    rid = req["id"]
    assert quote(client, a, rid, "120").status_code == 201
    assert quote(client, b, rid, "110", note="9.6 米高栏").status_code == 201
    lump = quote(client, c, rid, "1400.00", basis="lump_sum")  # 1,400 total vs 12.5 t × 110
    assert lump.status_code == 201
    assert lump.json["total_yuan"] == "1400.00"
    lowered = quote(client, a, rid, "100")
    assert lowered.status_code == 201
    assert lowered.json["revision"] == 2

    seen = api(client, "GET", f"/service-requests/{rid}", b).json
    assert seen["lowest_total_yuan"] == "1250.00"  # a's 100 × 12.5, without saying it is a's
    assert seen["n_providers"] == 3
    assert seen["my_quote"]["total_yuan"] == "1375.00"
    assert "organization_name" not in str(seen.get("award"))
    assert api(client, "GET", f"/service-requests/{rid}/quotes", b).status_code == 403
    history = api(client, "GET", f"/service-requests/{rid}/my-quotes", a).json
    assert [q["price_yuan"] for q in history] == ["100.00", "120.00"]  # append-only

    ranked = api(client, "GET", f"/service-requests/{rid}/quotes", producer).json
    assert [r["quote"]["organization_id"] for r in ranked] == [
        a.organization_id,
        b.organization_id,
        c.organization_id,
    ]
    assert ranked[0]["rank"] == 1
    assert ranked[0]["score"] == "85.0"  # cheapest, unrated: 100 × (0.7 + 0.3 × 0.5)
    assert ranked[0]["rating"] == {"mean": None, "count": 0}
    assert ranked[1]["quote"]["organization_name"] == b.organization.legal_name

    second = ranked[1]["quote"]["id"]  # the requester may choose any valid quote
    award = api(
        client, "POST", f"/service-requests/{rid}/award", producer, json={"quote_id": second}
    )
    assert award.status_code == 201, award.json
    assert award.json["provider_id"] == b.organization_id
    assert award.json["total_yuan"] == "1375.00"
    assert api(client, "GET", f"/service-requests/{rid}", producer).json["status"] == "awarded"

    done = api(client, "POST", f"/service-requests/{rid}/complete", producer)
    assert done.status_code == 200
    assert done.json["completed_at"] is not None
    rated = api(
        client,
        "POST",
        f"/service-requests/{rid}/rating",
        producer,
        json={"stars": 4, "comment": "准时"},
    )
    assert rated.status_code == 201, rated.json
    rating = api(client, "GET", f"/service-providers/{b.organization_id}/rating", a).json
    assert rating == {"organization_id": b.organization_id, "mean": "4.0", "count": 1}
    unrated = api(client, "GET", f"/service-providers/{a.organization_id}/rating", a).json
    assert unrated["mean"] is None


def test_quote_refusals_name_their_rule_and_write_nothing(client, producer, carriers) -> None:
    a, b, _ = carriers
    rid = publish(client, producer, budget_yuan="150")["id"]
    assert quote(client, a, rid, "140").status_code == 201
    before = count(ServiceQuote)
    other = make_user(make_org(OrgKind.PRODUCER), Role.MANAGER)
    other.headers = bearer(other)
    recycler = licensed_recycler("麻涌纸厂", 23.04, 113.58)
    cases = [
        (producer, "100", {}, 409, "request"),  # own request
        (other, "100", {}, 403, "kind"),  # a producer is no carrier
        (recycler, "100", {}, 403, "kind"),  # transport is for logistics companies
        (b, "151", {}, 422, "price_yuan"),  # above the budget
        (b, "0", {}, 422, "price_yuan"),
        (b, "-5", {}, 422, "price_yuan"),
        (a, "140", {}, 409, "price_yuan"),  # not lower than its own 140
        (a, "141", {}, 409, "price_yuan"),
        (b, "100", {"valid_until": "2020-01-01"}, 422, "valid_until"),
    ]
    for user, price, extra, status, field in cases:
        response = quote(client, user, rid, price, **extra)
        assert response.status_code == status, (price, response.json)
        assert field in response.json["error"]["fields"], response.json
        assert response.json["error"]["message"]
    assert count(ServiceQuote) == before

    past_deadline(rid)
    late = quote(client, b, rid, "90")
    assert late.status_code == 409
    assert "deadline" in late.json["error"]["fields"]
    assert count(ServiceQuote) == before


def test_without_quotes_a_request_expires_by_itself(client, producer, carriers) -> None:
    rid = publish(client, producer)["id"]
    past_deadline(rid)
    assert api(client, "GET", f"/service-requests/{rid}", producer).json["status"] == "expired"
    late = quote(client, carriers[0], rid, "90")
    assert late.status_code == 409
    assert late.json["error"]["fields"] == {"status": "expired"}
    assert "已流标" in late.json["error"]["message"]  # the state by name, not by code
    cancel = api(client, "POST", f"/service-requests/{rid}/cancel", producer)
    assert cancel.status_code == 409
    assert cancel.json["error"]["fields"] == {"status": "allowed: —"}
    offered = {v["id"] for v in api(client, "GET", "/service-requests", carriers[0]).json}
    assert rid not in offered  # no longer offered to carriers


def test_disposal_needs_a_licence_covering_grade_and_hw_codes(client, producer, catalogue) -> None:
    battery = licensed_recycler("电池厂", 22.9, 113.8, families=("BA",))
    paper = licensed_recycler("纸厂", 22.9, 113.8, families=("PA",))
    from marketplace.profiles.models import RecyclerProfile

    licensed = licensed_recycler("持证电池厂", 22.9, 113.8, families=("BA",))
    db.session.scalar(
        sa.select(RecyclerProfile).where(
            RecyclerProfile.organization_id == licensed.organization_id
        )
    ).hw_codes = ["900-052-31"]
    db.session.commit()
    req = publish(client, producer, kind="disposal", grade="BA-LEAD", quantity_t="0.8")
    assert req["hw_codes"] == ["900-052-31"]  # every code the grade may carry, by default
    rid = req["id"]
    for user, rule in ((paper, "licence_scope"), (battery, "hw_licence")):
        response = quote(client, user, rid, "800")
        assert response.status_code == 409, response.json
        assert rule in response.json["error"]["fields"]
        assert rid not in {v["id"] for v in api(client, "GET", "/service-requests", user).json}
        assert api(client, "GET", f"/service-requests/{rid}", user).status_code == 404
    assert quote(client, licensed, rid, "800").status_code == 201
    assert rid in {v["id"] for v in api(client, "GET", "/service-requests", licensed).json}
    assert count(ServiceQuote) == 1


def test_choosing_refusals(client, producer, carriers) -> None:
    a, b, _ = carriers
    first = publish(client, producer)["id"]
    second = publish(client, producer)["id"]
    qa = quote(client, a, first, "120").json["id"]
    qb = quote(client, b, second, "120").json["id"]
    wrong = api(client, "POST", f"/service-requests/{first}/award", producer, json={"quote_id": qb})
    assert wrong.status_code == 422
    assert wrong.json["error"]["fields"] == {"quote_id": "not a quote of this request"}
    newer = quote(client, a, first, "110").json["id"]
    stale = api(client, "POST", f"/service-requests/{first}/award", producer, json={"quote_id": qa})
    assert stale.status_code == 409
    assert "quote_id" in stale.json["error"]["fields"]
    other = make_user(make_org(OrgKind.PRODUCER), Role.MANAGER)
    other.headers = bearer(other)
    theirs = api(
        client, "POST", f"/service-requests/{first}/award", other, json={"quote_id": newer}
    )
    assert theirs.status_code == 403
    assert count(ServiceAward) == 0

    ok = api(client, "POST", f"/service-requests/{first}/award", producer, json={"quote_id": newer})
    assert ok.status_code == 201
    again = api(
        client, "POST", f"/service-requests/{first}/award", producer, json={"quote_id": newer}
    )
    assert again.status_code == 409
    assert again.json["error"]["fields"] == {"status": "allowed: completed"}
    assert "已定标" in again.json["error"]["message"]
    assert quote(client, b, first, "90").status_code == 409  # closed to quotes once awarded
    assert count(ServiceAward) == 1


def test_an_expired_quote_cannot_be_chosen(client, producer, carriers) -> None:
    rid = publish(client, producer)["id"]
    qid = quote(client, carriers[0], rid, "120").json["id"]
    from datetime import timedelta

    row = db.session.get(ServiceQuote, qid)
    row.valid_until = row.created_at.date() - timedelta(days=1)
    row.earliest_date = row.valid_until
    db.session.commit()
    past_deadline(rid)
    response = api(
        client, "POST", f"/service-requests/{rid}/award", producer, json={"quote_id": qid}
    )
    assert response.status_code == 409
    assert "quote_id" in response.json["error"]["fields"]


def test_rating_refusals(client, producer, carriers) -> None:
    rid = publish(client, producer)["id"]
    qid = quote(client, carriers[0], rid, "120").json["id"]
    early = api(client, "POST", f"/service-requests/{rid}/rating", producer, json={"stars": 5})
    assert early.status_code == 409
    assert early.json["error"]["fields"] == {"status": "open"}
    assert api(client, "POST", f"/service-requests/{rid}/complete", producer).status_code == 409
    api(client, "POST", f"/service-requests/{rid}/award", producer, json={"quote_id": qid})
    awarded = api(client, "POST", f"/service-requests/{rid}/rating", producer, json={"stars": 5})
    assert awarded.status_code == 409  # chosen, not yet done
    assert api(client, "POST", f"/service-requests/{rid}/complete", producer).status_code == 200
    for stars in (0, 6, -1):
        bad = api(
            client, "POST", f"/service-requests/{rid}/rating", producer, json={"stars": stars}
        )
        assert bad.status_code == 422
        assert "stars" in bad.json["error"]["fields"]
    assert count(ServiceRating) == 0
    assert (
        api(
            client, "POST", f"/service-requests/{rid}/rating", producer, json={"stars": 5}
        ).status_code
        == 201
    )
    twice = api(client, "POST", f"/service-requests/{rid}/rating", producer, json={"stars": 1})
    assert twice.status_code == 409
    assert twice.json["error"]["fields"] == {"rating": "already rated"}
    again = api(client, "POST", f"/service-requests/{rid}/complete", producer)
    assert again.status_code == 409
    assert count(ServiceRating) == 1


def test_cancel_an_open_request(client, producer, carriers) -> None:
    rid = publish(client, producer)["id"]
    quote(client, carriers[0], rid, "120")
    done = api(client, "POST", f"/service-requests/{rid}/cancel", producer)
    assert done.status_code == 200
    assert done.json["status"] == "cancelled"
    assert api(client, "POST", f"/service-requests/{rid}/cancel", producer).status_code == 409
    late = quote(client, carriers[1], rid, "100")
    assert late.status_code == 409
    assert late.json["error"]["fields"] == {"status": "cancelled"}
    mine = api(client, "GET", "/service-requests?quoted=true", carriers[0]).json
    assert [v["id"] for v in mine] == [rid]  # still listed among what it quoted on
    assert mine[0]["my_quote"]["price_yuan"] == "120.00"


def test_publishing_refusals_name_the_field(client, producer, catalogue) -> None:
    from tests.marketplace.conftest import archive

    stranger = make_org(OrgKind.PRODUCER)
    foreign_site = add_site(stranger, "别家厂", 22.8, 113.8)
    cases = [
        ({"site_id": foreign_site.id}, "site_id"),
        ({"grade": "PA"}, "grade"),
        ({"grade": "XX-NOPE"}, "grade"),
        ({"grade": None, "quantity_t": None}, "grade"),
        ({"hw_codes": ["900-052-31"]}, "hw_codes"),  # paper is not hazardous waste
        ({"grade": "BA-LEAD", "hw_codes": ["900-045-49"]}, "hw_codes"),
        ({"window_start": "2030-01-10", "window_end": "2030-01-01"}, "window_end"),
        ({"window_start": "2020-01-01", "window_end": "2020-01-02"}, "window_end"),
        ({"deadline": "2020-01-01T00:00:00+00:00"}, "deadline"),
        ({"window_end": None, "deadline": "2099-01-01T00:00:00+00:00"}, "window_end"),
        ({"deadline": "2099-01-01T00:00:00+08:00"}, "deadline"),  # after the service window
        ({"budget_yuan": "0"}, "budget_yuan"),
        ({"quantity_t": "-1"}, "quantity_t"),
        ({"kind": "storage"}, "kind"),
        ({"basis": "per_trip"}, "basis"),
        ({"deadline": "2030-01-01T00:00:00"}, "deadline"),  # no zone
    ]
    for overrides, field in cases:
        response = client.post(
            "/api/v1/service-requests",
            json=body(producer.site.id, **overrides),
            headers=producer.headers,
        )
        assert response.status_code == 422, (overrides, response.json)
        assert any(k.startswith(field) for k in response.json["error"]["fields"]), (
            overrides,
            response.json,
        )
    assert count(ServiceRequest) == 0

    lot = client.post("/api/v1/lots", json=archive(producer.site.id), headers=producer.headers)
    from_lot = publish(client, producer, grade=None, quantity_t=None, lot_id=lot.json["id"])
    assert from_lot["grade"] == "PA-OCC"
    assert from_lot["quantity_t"] == "12.5"
    assert from_lot["lot_id"] == lot.json["id"]
    mismatch = publish(client, producer, expect=422, grade="PA-NEWS", lot_id=lot.json["id"])
    assert "grade" in mismatch["error"]["fields"]
    their_lot = publish(client, producer, expect=422, lot_id=999_999)
    assert "lot_id" in their_lot["error"]["fields"]


def test_who_sees_what(client, producer, carriers, catalogue) -> None:
    rid = publish(client, producer)["id"]
    disposal = publish(client, producer, kind="disposal")["id"]
    listed = {v["id"] for v in api(client, "GET", "/service-requests", carriers[0]).json}
    assert rid in listed
    assert disposal not in listed  # disposal requests are for licensed recyclers
    other = make_user(make_org(OrgKind.PRODUCER), Role.MANAGER)
    other.headers = bearer(other)
    assert api(client, "GET", "/service-requests", other).json == []
    assert api(client, "GET", f"/service-requests/{rid}", other).status_code == 404
    gov = make_user(make_org(OrgKind.GOVERNMENT), Role.VIEWER)
    gov.headers = bearer(gov)
    assert {v["id"] for v in api(client, "GET", "/service-requests", gov).json} == {rid, disposal}
    assert api(client, "GET", f"/service-requests/{rid}/quotes", gov).status_code == 200
    assert api(client, "POST", f"/service-requests/{rid}/cancel", gov).status_code == 403
    mine = {v["id"] for v in api(client, "GET", "/service-requests", producer).json}
    assert mine == {rid, disposal}

"""Station anomalies for the government: counts per station from the latest scale readings,
and the anomalous weighings linked to the process records and the package's passport."""

from __future__ import annotations

from datetime import UTC, datetime

from core.db import db
from core.enums import OrgKind, Role
from station.models import Package, PackageState, Stage, Weighing
from tests.factories import bearer, make_org, make_user

AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
QUERY = "from=2026-03-01&to=2026-03-31"


def _weigh(station, result, package=None, **values):
    w = Weighing(
        station_id=station.id,
        stage=Stage.RECEIVE,
        gross_g=1_050_000,
        net_g=1_000_000,
        result=result,
        created_at=AT,
        package_id=package.id if package else None,
        **values,
    )
    db.session.add(w)
    db.session.flush()
    return w


def test_anomalies_per_station_with_links(app, client) -> None:
    station = make_org(OrgKind.STATION)
    package = Package(
        station_id=station.id,
        label="ST01-RCV-20260310-0001",
        stage=Stage.RECEIVE,
        state=PackageState.IN_STOCK,
        net_g=1_000_000,
        remaining_g=1_000_000,
    )
    db.session.add(package)
    db.session.flush()
    _weigh(station, "normal")
    old = _weigh(station, "normal")
    _weigh(station, "anomaly", package, replaces_id=old.id, deviation_g=-80_000, tier=2)
    _weigh(station, "anomaly", total=True)  # a stage total, not a reading
    db.session.commit()
    gov = make_user(make_org(OrgKind.GOVERNMENT), Role.VIEWER)
    body = client.get(f"/api/v1/dashboard/anomalies?{QUERY}", headers=bearer(gov)).json
    [row] = body["stations"]
    assert (row["weighings"], row["anomalies"], row["rate_pct"]) == (2, 1, 50.0)
    assert row["records_url"].startswith("/station/reports/process?")
    [recent] = body["recent"]
    assert recent["passport_url"] == "/lot/ST01-RCV-20260310-0001"
    assert recent["deviation_kg"] == "-80.000"
    assert "day=2026-03-10" in recent["records_url"]
    xlsx = client.get(f"/api/v1/dashboard/anomalies?{QUERY}&format=xlsx", headers=bearer(gov))
    assert xlsx.data[:2] == b"PK"
    producer = make_user(make_org(OrgKind.PRODUCER))
    denied = client.get(f"/api/v1/dashboard/anomalies?{QUERY}", headers=bearer(producer))
    assert denied.status_code == 403


def test_days_out_of_range_are_refused_naming_the_field(app, client) -> None:
    """Near year 9999 a period's UTC bounds overflow `datetime`: a 422 naming it, not a 500."""
    gov = bearer(make_user(make_org(OrgKind.GOVERNMENT), Role.VIEWER))
    for path in ("flows", "flows/records", "anomalies"):
        got = client.get(f"/api/v1/dashboard/{path}?to=9999-12-31", headers=gov)
        assert got.status_code == 422, (path, got.json)
        assert "to" in str(got.json["error"]["fields"])
        got = client.get(f"/api/v1/dashboard/{path}?from=0001-01-01&to=0001-01-02", headers=gov)
        assert got.status_code == 422, (path, got.json)


def test_indicator_days_out_of_range_are_refused_naming_the_field(app, client) -> None:
    """The indicators and the trend share the bound: year 1 or 9999 is a 4xx, never a 500."""
    gov = bearer(make_user(make_org(OrgKind.GOVERNMENT), Role.VIEWER))
    for query in ("to=0001-01-05", "from=9999-12-30&to=9999-12-31"):
        for path in ("indicators", "trend?key=recycled_volume&bucket=month"):
            sep = "&" if "?" in path else "?"
            got = client.get(f"/api/v1/dashboard/{path}{sep}{query}", headers=gov)
            assert got.status_code == 400, (path, query, got.json)
            assert got.json["error"]["fields"], got.json

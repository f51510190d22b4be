"""Lot search: filters, distance from one of my sites, text, sorting, pagination."""

import pytest

from tests.factories import login
from tests.marketplace.conftest import add_site, archive

PROPS = [
    {"key": "moisture_pct", "value": "10", "unit": "%"},
    {"key": "contamination_pct", "value": "1", "unit": "%"},
]


@pytest.fixture
def market(client, producer, recycler):
    """Five lots: four listed (two near the recycler, one far, one plastic) and one draft."""
    far = add_site(producer.organization, "惠州远厂", 23.1115, 114.4160)  # ~85 km east
    specs = [
        (producer.site.id, "PA-OCC", "长安黄板纸", "1650", "10", PROPS),
        (producer.site2.id, "PA-WHITE-EDGE", "虎门白纸边", "2300", "5", PROPS),
        (far.id, "PA-OCC", "惠州黄板纸", "1500", "30", []),
        (producer.site.id, "PL-PP-REGRIND", "PP 水口料", "5200", "2.5", []),
        (producer.site.id, "PA-OCC", "草稿黄板纸", "1000", "8", []),
    ]
    ids = {}
    for site_id, grade, title, price, tonnes, props in specs:
        body = archive(
            site_id,
            grade=grade,
            title=title,
            ask_yuan_per_t=price,
            quantity_t=tonnes,
            properties=props,
        )
        lot = client.post("/api/v1/lots", json=body, headers=producer.headers).json
        if title != "草稿黄板纸":
            client.post(f"/api/v1/lots/{lot['id']}/publish", headers=producer.headers)
        ids[title] = lot["id"]
    return ids


def titles(client, user, query):
    response = client.get(f"/api/v1/lots?{query}", headers=user.headers)
    assert response.status_code == 200, response.json
    return [lot["title"] for lot in response.json["items"]]


def test_only_listed_lots_are_found(client, recycler, market) -> None:
    assert sorted(titles(client, recycler, "")) == sorted(
        ["长安黄板纸", "虎门白纸边", "惠州黄板纸", "PP 水口料"]
    )


def test_filters(client, recycler, market) -> None:
    assert sorted(titles(client, recycler, "family=PA")) == sorted(
        ["长安黄板纸", "虎门白纸边", "惠州黄板纸"]
    )
    assert titles(client, recycler, "grade=PA-WHITE-EDGE") == ["虎门白纸边"]
    assert sorted(titles(client, recycler, "min_dql=1&max_price=2000")) == sorted(
        ["长安黄板纸", "惠州黄板纸"]
    )
    assert titles(client, recycler, "min_t=20") == ["惠州黄板纸"]
    assert titles(client, recycler, "max_t=3") == ["PP 水口料"]


def test_text_search_finds_chinese_and_codes(client, recycler, market) -> None:
    assert sorted(titles(client, recycler, "q=黄板纸")) == sorted(["长安黄板纸", "惠州黄板纸"])
    assert titles(client, recycler, "q=pp") == ["PP 水口料"]
    assert titles(client, recycler, "q=occ&max_price=1600") == ["惠州黄板纸"]
    assert titles(client, recycler, "q=100%25") == []  # a literal %, not a wildcard


def test_distance_from_my_site(client, recycler, market) -> None:
    near = titles(client, recycler, f"site_id={recycler.site.id}&radius_km=50&sort=distance")
    assert "惠州黄板纸" not in near
    assert near[0] == "虎门白纸边"  # Humen is closer to Machong than Chang'an
    everything = titles(client, recycler, f"site_id={recycler.site.id}&sort=distance")
    assert everything[-1] == "惠州黄板纸"


def test_distance_needs_my_own_site(client, producer, recycler, market) -> None:
    response = client.get(
        f"/api/v1/lots?site_id={producer.site.id}&radius_km=50", headers=recycler.headers
    )
    assert response.status_code == 422
    assert "site_id" in response.json["error"]["fields"]
    response = client.get("/api/v1/lots?sort=distance", headers=recycler.headers)
    assert response.status_code == 422


def test_sorting_and_pages(client, recycler, market) -> None:
    assert titles(client, recycler, "sort=price") == [
        "惠州黄板纸",
        "长安黄板纸",
        "虎门白纸边",
        "PP 水口料",
    ]
    assert titles(client, recycler, "sort=-quantity&per_page=2") == ["惠州黄板纸", "长安黄板纸"]
    page2 = client.get(
        "/api/v1/lots?sort=-quantity&per_page=2&page=2", headers=recycler.headers
    ).json
    assert [lot["title"] for lot in page2["items"]] == ["虎门白纸边", "PP 水口料"]
    assert page2["total"] == 4


def test_my_lots_include_drafts(client, producer, market) -> None:
    mine = titles(client, producer, "mine=true&family=PA")
    assert "草稿黄板纸" in mine
    assert len(mine) == 4


@pytest.mark.parametrize(
    "query", ["sort=cheapest", "min_dql=9", "radius_km=-1", "max_price=abc", "family=paper"]
)
def test_bad_search_arguments(client, recycler, market, query) -> None:
    response = client.get(f"/api/v1/lots?{query}", headers=recycler.headers)
    assert response.status_code == 422


def test_counting_stops_at_the_count_limit(client, recycler, market, monkeypatch) -> None:
    """Past SEARCH_COUNT_LIMIT matches the total is a lower bound, said so on API and page."""
    monkeypatch.setitem(client.application.config, "SEARCH_COUNT_LIMIT", 3)
    first = client.get("/api/v1/lots?per_page=2", headers=recycler.headers).json
    assert (first["total"], first["total_exact"], first["pages"]) == (3, False, 2)
    assert len(first["items"]) == 2
    # the rows up to the asked page always count, so the last page knows it is the last
    second = client.get("/api/v1/lots?per_page=2&page=2", headers=recycler.headers).json
    assert (second["total"], second["total_exact"], len(second["items"])) == (4, True, 2)
    narrow = client.get("/api/v1/lots?family=PL", headers=recycler.headers).json
    assert (narrow["total"], narrow["total_exact"]) == (1, True)
    login(client, recycler.username)
    assert "超过 3 个批次" in client.get("/market?per_page=2").get_data(as_text=True)
    assert "共 1 个批次" in client.get("/market?family=PL").get_data(as_text=True)

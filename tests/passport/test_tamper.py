"""THE tamper test: every change to a passport bundle is detected; a canonically equal copy passes.

The fixture (``fixture.py``) is a multi-lot ledger with a split, a merge, a trade and a
correction, checkpointed twice; the bundle of the bale carries its own chain and its three
ancestors' chains, proofs against the newer checkpoint and the consistency proof from the older.
"""

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from passport import checkpoint as cp
from passport import epcis
from passport.ledger import Ledger
from passport.verify import verify_bundle
from tests.passport.fixture import HOST, World, build_world


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


def verify(world: World, bundle: dict[str, Any], **kwargs: Any):
    return verify_bundle(bundle, trusted_key=world.public_pem, kept=world.older, **kwargs)


def leaves(value: Any, path: tuple = ()) -> Iterator[tuple]:
    """Every leaf of a JSON value, by path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path


def changed(value: Any) -> Any:
    """A different value of the same kind (hex stays hex, so only the content differs)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.001
    if value is None:
        return "x"
    if value.startswith("-----BEGIN"):  # a PEM: change the key, not the armour around it
        middle = value.index("\n") + 20
        return value[:middle] + ("A" if value[middle] != "A" else "B") + value[middle + 1 :]
    if value and all(c in "0123456789abcdef" for c in value):
        return value[:-1] + ("0" if value[-1] != "0" else "1")
    return value + "X"


def mutate(bundle: dict[str, Any], path: tuple) -> dict[str, Any]:
    copied = copy.deepcopy(bundle)
    target = copied
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = changed(target[path[-1]])
    return copied


def test_the_untouched_bundle_verifies(world: World) -> None:
    report = verify(world, world.bundle, expand=True)
    assert report.ok, [p.text() for p in report.problems]
    assert report.events == 15
    assert set(world.bundle["chains"]) == {
        "HL-BALE",
        "HL-A1",
        "HL-B",
        "HL-A",
    }


def test_every_value_of_every_event_is_protected(world: World) -> None:
    events = world.bundle["document"]["epcisBody"]["eventList"]
    paths = [
        ("document", "epcisBody", "eventList", i, *p)
        for i, e in enumerate(events)
        for p in leaves(e)
    ]
    assert len(paths) > 200
    for path in paths:
        report = verify(world, mutate(world.bundle, path))
        codes = {p.code for p in report.problems}
        assert {"event.unchained", "event.missing"} <= codes, path  # the content hash caught it


def test_every_other_value_of_the_bundle_is_protected(world: World) -> None:
    paths = [p for p in leaves(world.bundle) if p[0] != "document"]
    paths += [
        ("document", "schemaVersion"),
        ("document", "@context", 0),
        ("document", "@context", 1, "hl"),
    ]
    assert len(paths) > 240
    for path in paths:
        assert not verify(world, mutate(world.bundle, path)).ok, path


def codes_of(world: World, bundle: dict[str, Any]) -> set[str]:
    return {p.code for p in verify(world, bundle).problems}


def test_deleting_an_entry_or_an_event_is_detected(world: World) -> None:
    bundle = copy.deepcopy(world.bundle)
    del bundle["chains"]["HL-BALE"][3]
    assert {"chain.gap", "chain.link", "event.unchained"} <= codes_of(world, bundle)
    bundle = copy.deepcopy(world.bundle)
    del bundle["document"]["epcisBody"]["eventList"][5]
    assert "event.missing" in codes_of(world, bundle)


def test_inserting_an_event_is_detected(world: World) -> None:
    from passport.chain import next_entry

    bundle = copy.deepcopy(world.bundle)
    chain = bundle["chains"]["HL-BALE"]
    forged = epcis.storing(
        f"https://{HOST}/lot/HL-BALE",
        at=world.ledger.history[0]
        and __import__("datetime").datetime(2026, 11, 3, tzinfo=__import__("datetime").UTC),
        location=f"https://{HOST}/site/ELSEWHERE",
    )
    bundle["document"]["epcisBody"]["eventList"].append(forged)
    from passport.chain import ChainEntry

    last = ChainEntry.from_json(
        {k: chain[-1][k] for k in ("lot", "seq", "event_hash", "prev", "hash")}
    )
    entry = next_entry(last, "HL-BALE", forged)
    chain.append(
        {**entry.to_json(), "log_index": chain[-1]["log_index"] + 1, "proof": chain[-1]["proof"]}
    )
    assert {"log.inclusion", "heads.truncated"} <= codes_of(world, bundle)


def test_reordering_and_truncating_a_chain_are_detected(world: World) -> None:
    bundle = copy.deepcopy(world.bundle)
    chain = bundle["chains"]["HL-BALE"]
    chain[2], chain[3] = chain[3], chain[2]
    assert {"chain.order", "chain.link"} & codes_of(world, bundle)
    bundle = copy.deepcopy(world.bundle)
    dropped = bundle["chains"]["HL-BALE"][-2:]
    del bundle["chains"]["HL-BALE"][-2:]
    gone = {e["event_hash"] for e in dropped}
    from passport.chain import event_hash

    events = bundle["document"]["epcisBody"]["eventList"]
    events[:] = [e for e in events if event_hash(e) not in gone]
    assert codes_of(world, bundle) == {"heads.truncated"}  # a clean truncation: only the head tells


def replay(history: list[dict[str, Any]], tamper: int) -> Ledger:
    """Rewrite history: change one event, then recompute every ID, head, hash and the log."""
    ledger = Ledger(HOST)
    for position, original in enumerate(history):
        event = copy.deepcopy(original)
        if position == tamper:
            event["quantityList"][0]["quantity"] += 100.0
        if event["type"] == "TransformationEvent":
            for head in event["ilmd"]["hl:inputHeads"]:
                head["hl:seq"], head["hl:head"] = ledger.head(head["hl:lot"].rsplit("/", 1)[1])
        if "errorDeclaration" not in event:
            event["eventID"] = epcis.event_id(event)
        ledger.append(event)
    return ledger


def test_rewriting_and_rehashing_is_caught_by_the_signature(world: World) -> None:
    history = world.ledger.history
    weighing_of_a = next(i for i, e in enumerate(history) if e.get("bizStep") == "sensor_reporting")
    forged_ledger = replay(history, weighing_of_a)
    at = __import__("datetime").datetime(2026, 11, 5, tzinfo=__import__("datetime").UTC)
    stranger = cp.generate_private_key()  # without the platform's key
    signed = forged_ledger.checkpoint(stranger, at)
    forged = forged_ledger.bundle("HL-BALE", signed, world.public_pem, at=at)
    assert "checkpoint.signature" in codes_of(world, forged)
    forged = forged_ledger.bundle(
        "HL-BALE", signed, cp.public_key_to_pem(stranger.public_key()), at=at
    )
    assert "key.untrusted" in codes_of(world, forged)
    assert verify_bundle(forged).ok  # self-consistent: only a pinned key or a kept checkpoint tells


def test_rewriting_and_re_signing_is_caught_by_an_older_checkpoint(world: World) -> None:
    history = world.ledger.history
    forged_ledger = replay(
        history, next(i for i, e in enumerate(history) if e.get("bizStep") == "sensor_reporting")
    )
    at = __import__("datetime").datetime(2026, 11, 5, tzinfo=__import__("datetime").UTC)
    signed = forged_ledger.checkpoint(world.key, at)  # the insider has the key
    fake_older = forged_ledger.checkpoint(world.key, at)
    forged = forged_ledger.bundle("HL-BALE", signed, world.public_pem, at=at, older=fake_older)
    assert verify_bundle(forged, trusted_key=world.public_pem).ok  # looks fine on its own …
    assert "older.not_kept" in codes_of(world, forged)  # … not to someone who kept the real one
    forged["older"]["checkpoint"] = world.older  # claim consistency with the real one
    assert "older.consistency" in codes_of(world, forged)


def test_a_canonically_equal_reserialisation_is_accepted(world: World) -> None:
    def reorder(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: reorder(value[k]) for k in reversed(list(value))}
        if isinstance(value, list):
            return [reorder(v) for v in value]
        return value

    text = json.dumps(
        reorder(world.bundle), indent=7, ensure_ascii=True, separators=(" ,  ", " :\t")
    )
    report = verify(world, json.loads(text))
    assert report.ok, [p.text() for p in report.problems]
    floats = json.loads(
        json.dumps(world.bundle).replace('"quantity": 1478.0', '"quantity": 1478.000')
    )
    assert verify(world, floats).ok

"""Chains report each fault with its place; checkpoints sign canonical bytes; keys round-trip."""

import itertools
import os
from datetime import UTC, datetime

import pytest

from core.errors import Invalid
from passport import checkpoint as cp
from passport.chain import build_chain, entry_hash, verify_chain
from passport.merkle import EMPTY_ROOT

EVENTS = [{"type": "ObjectEvent", "n": i} for i in range(6)]


def test_a_built_chain_verifies_and_links() -> None:
    chain = build_chain("HL-1", EVENTS)
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5, 6]
    assert chain[0].prev == "0" * 64
    assert all(b.prev == a.hash for a, b in itertools.pairwise(chain))
    assert chain[2].hash == entry_hash("HL-1", 3, chain[2].event_hash, chain[1].hash)
    assert verify_chain("HL-1", chain) == []


def test_each_fault_is_named_with_its_place() -> None:
    chain = [e.to_json() for e in build_chain("HL-1", EVENTS)]
    gap = chain[:2] + chain[3:]
    assert [(p.code, p.where) for p in verify_chain("HL-1", gap)] == [
        ("chain.gap", "chain[2]"),
        ("chain.link", "chain[2]"),
    ]
    swapped = [chain[0], chain[2], chain[1], *chain[3:]]
    codes = [(p.code, p.where) for p in verify_chain("HL-1", swapped)]
    assert ("chain.gap", "chain[1]") in codes
    assert ("chain.order", "chain[2]") in codes
    wrong = [dict(e) for e in chain]
    wrong[4]["event_hash"] = "a" * 64
    assert [(p.code, p.where) for p in verify_chain("HL-1", wrong)] == [
        ("chain.hash", "chain[4]")
    ]  # the next entry still links to the stored hash
    assert [p.code for p in verify_chain("HL-2", chain)] == ["chain.wrong_lot"] * 6
    assert [p.code for p in verify_chain("HL-1", [{"seq": "1"}])] == ["chain.malformed"]
    assert [p.code for p in verify_chain("HL-1", [])] == ["chain.empty"]
    assert "第 4 条" in verify_chain("HL-1", gap)[1].text()
    assert "Entry 4" in verify_chain("HL-1", gap)[1].text("en")


def test_checkpoints_sign_and_refuse_any_change() -> None:
    key = cp.generate_private_key()
    body = cp.make_checkpoint(
        "huanlian.example", 0, EMPTY_ROOT, EMPTY_ROOT, 0, datetime(2026, 12, 1, 8, tzinfo=UTC)
    )
    assert body.time == "2026-12-01T08:00:00Z"
    signed = cp.sign(body, key)
    assert cp.verify(signed, key.public_key()) == body
    for field, value in (("tree_size", 1), ("time", "2026-12-01T08:00:01Z"), ("origin", "x")):
        forged = {**signed, "body": {**signed["body"], field: value}}
        with pytest.raises(Invalid) as caught:
            cp.verify(forged, key.public_key())
        assert caught.value.fields == {"checkpoint.signature": "invalid"}
    with pytest.raises(Invalid) as caught:
        cp.verify(signed, cp.generate_private_key().public_key())
    assert caught.value.fields == {"checkpoint.key_id": "another key"}
    with pytest.raises(Invalid) as caught:
        cp.verify({**signed, "body": {**signed["body"], "time": "yesterday"}}, key.public_key())
    assert caught.value.fields == {"checkpoint.body.time": "RFC 3339 UTC"}
    with pytest.raises(ValueError, match="naive"):
        cp.rfc3339(datetime(2026, 1, 1))


def test_keys_round_trip_through_pem_and_the_key_file(tmp_path) -> None:
    key = cp.generate_private_key()
    again = cp.load_private_key(cp.private_key_to_pem(key, b"secret"), b"secret")
    assert cp.key_id(again.public_key()) == cp.key_id(key.public_key())
    public = cp.load_public_key(cp.public_key_to_pem(key.public_key()))
    assert cp.key_id(public) == cp.key_id(key.public_key())
    with pytest.raises(Invalid):
        cp.load_public_key("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    path = tmp_path / "keys" / "checkpoint.pem"
    first = cp.load_or_create_private_key(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert cp.key_id(cp.load_or_create_private_key(path).public_key()) == cp.key_id(
        first.public_key()
    )
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind

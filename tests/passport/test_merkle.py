"""The Merkle log against the public RFC 6962 vectors, and stored proofs without rebuilding.

``data/merkle_probes.json`` bundles transparency-dev/merkle's ``testdata/inclusion`` and
``testdata/consistency`` probes (Apache-2.0; happy paths and dozens of corrupted proofs each),
so our verifiers agree with the reference implementation on every one.
"""

import base64
import json
import random
from pathlib import Path

import pytest

from passport import merkle as m

PROBES = json.loads((Path(__file__).parent / "data" / "merkle_probes.json").read_text())
# RFC 6962 reference leaves and roots (certificate-transparency / trillian / transparency-dev)
LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 MTH written straight from the definition (recursive split at k)."""
    if not leaves:
        return m.EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return m.node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


@pytest.fixture(scope="module")
def vector_log() -> m.MerkleLog:
    log = m.MerkleLog(m.MemoryNodeStore())
    for leaf in LEAVES:
        log.append(leaf)
    return log


def test_roots_of_every_size_match_the_rfc_vectors(vector_log: m.MerkleLog) -> None:
    assert [vector_log.root(size).hex() for size in range(9)] == ROOTS


@pytest.mark.parametrize("probe", PROBES["inclusion"], ids=lambda p: p["file"])
def test_inclusion_verification_agrees_with_the_reference(probe: dict) -> None:
    proof = [b64(p) for p in probe["proof"] or []]
    ok = m.verify_inclusion(
        probe["leafIdx"], probe["treeSize"], b64(probe["leafHash"]), proof, b64(probe["root"])
    )
    assert ok is not probe["wantErr"]


@pytest.mark.parametrize("probe", PROBES["consistency"], ids=lambda p: p["file"])
def test_consistency_verification_agrees_with_the_reference(probe: dict) -> None:
    proof = [b64(p) for p in probe["proof"] or []]
    ok = m.verify_consistency(
        probe["size1"], probe["size2"], b64(probe["root1"]), b64(probe["root2"]), proof
    )
    assert ok is not probe["wantErr"]


def test_our_proofs_are_the_published_ones(vector_log: m.MerkleLog) -> None:
    happy = [
        p
        for p in PROBES["inclusion"]
        if not p["wantErr"] and p["treeSize"] <= 8 and "happy" in p["file"]
    ]
    assert happy
    for probe in happy:
        assert vector_log.inclusion_proof(probe["leafIdx"], probe["treeSize"]) == [
            b64(p) for p in probe["proof"] or []
        ]
    consistent = [
        p
        for p in PROBES["consistency"]
        if not p["wantErr"] and "happy" in p["file"] and p["size2"] <= 8
    ]
    assert consistent
    for probe in consistent:
        assert vector_log.consistency_proof(probe["size1"], probe["size2"]) == [
            b64(p) for p in probe["proof"] or []
        ]


def test_every_proof_of_a_random_log_verifies_and_matches_the_definition() -> None:
    rng = random.Random(7)
    leaves = [rng.randbytes(rng.randrange(0, 40)) for _ in range(70)]
    log = m.MerkleLog(m.MemoryNodeStore())
    hashes = []
    for leaf in leaves:
        log.append(leaf)
        hashes.append(m.leaf_hash(leaf))
    for size in range(1, 71):
        root = log.root(size)
        assert root == reference_root(hashes[:size])
        for index in range(size):
            proof = log.inclusion_proof(index, size)
            assert m.verify_inclusion(index, size, hashes[index], proof, root)
            assert not m.verify_inclusion(index, size, m.leaf_hash(b"other"), proof, root)
        for old in range(1, size + 1):
            assert m.verify_consistency(
                old, size, log.root(old), root, log.consistency_proof(old, size)
            )
        if size > 1:
            assert not m.verify_consistency(
                size - 1, size, m.leaf_hash(b"x"), root, log.consistency_proof(size - 1, size)
            )
    assert m.MemoryNodeStore.from_leaf_hashes(hashes).levels == log.store.levels


def test_appends_and_proofs_read_logarithmically_many_nodes() -> None:
    store = m.MemoryNodeStore.from_leaf_hashes(
        m.leaf_hash(i.to_bytes(4, "big")) for i in range(1 << 16)
    )
    log = m.MerkleLog(store)
    store.reads = 0
    log.append(b"one more")  # index 65536: no left siblings to read
    log.append(b"and another")
    assert store.reads <= 2
    for index in (0, 12345, 65535, 65537):
        store.reads = 0
        log.inclusion_proof(index)
        assert store.reads <= 17 * 2
        store.reads = 0
        log.consistency_proof(index + 1 if index < 65537 else 40000)
        assert store.reads <= 17 * 2
    store.reads = 0
    log.root()
    assert store.reads <= 17


def test_the_store_refuses_a_node_out_of_order() -> None:
    store = m.MemoryNodeStore()
    with pytest.raises(ValueError, match="not the next"):
        store.append_nodes([(0, 3, b"\0" * 32)], 4)


def test_heads_tree_proves_each_head_and_nothing_else() -> None:
    heads = {f"HL-{i}": (i % 5 + 1, f"{i:064x}") for i in range(13)}
    tree = m.HeadsTree(heads)
    assert tree.count == 13
    assert tree.lots[0] == "HL-0"
    for lot, (seq, head) in heads.items():
        proof = tree.proof(lot)
        assert m.verify_head(lot, seq, head, proof, tree.root)
        assert not m.verify_head(lot, seq - 1, head, proof, tree.root)  # an older head
        assert not m.verify_head(lot, seq, "f" * 64, proof, tree.root)
    assert not m.verify_head("HL-1", *heads["HL-1"], tree.proof("HL-2"), tree.root)

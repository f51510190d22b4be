"""One global append-only Merkle log (RFC 6962 hashing) stored node by node, and the heads tree.

**Hashing** (RFC 6962 §2.1, RFC 9162 §2.1.1): leaf = SHA-256(0x00 ‖ data), interior node =
SHA-256(0x01 ‖ left ‖ right), the empty tree's root = SHA-256(""). The prefixes make a leaf
and a node never collide, so a proof cannot pass an interior node off as an entry.

**Storage.** The tree is never rebuilt to answer a question. Every *complete* subtree is a stored
node ``(level, index)`` covering leaves ``[index·2^level, (index+1)·2^level)``; a tree of n
leaves has fewer than 2n of them and they never change once written (append-only). Appending
leaf n writes the leaf and one node per trailing 1-bit of n (their left siblings are read in
one batch): O(log n). The root of any size m ≤ n folds the ≤ log₂ m complete subtrees of
``[0, m)`` (the 1-bits of m); a proof is O(log n) ranges, each folded from its complete
subtrees, read in one ``get_nodes`` call — O(log² n) node reads at worst, O(log n) typically.
``NodeStore`` is the protocol a store implements; ``MemoryNodeStore`` is the in-memory one
(tests, benchmarks, the heads tree); the platform implements it over a database table.

**Proofs** follow RFC 6962 §2.1.1–2.1.2 (``PATH`` and ``SUBPROOF``) and are verified with the
RFC 9162 §2.1.3.2 / §2.1.4.2 algorithms, which use only the sizes, the proof and the roots.

**Heads tree.** A second Merkle tree, over every lot's current chain head ``{"lot", "seq",
"head"}`` (RFC 8785 JSON, sorted by lot ID). The signed checkpoint commits to its root, so a
bundle that drops a lot's last events (truncation) no longer ends at the committed head.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from passport.canonical import canonical

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Key = tuple[int, int]  # (level, index)


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


class NodeStore(Protocol):
    """Where the log's complete-subtree hashes live; the log reads and appends only through this.

    ``get_nodes`` returns the hashes of the given keys in order (a missing key is a
    ``KeyError``: the store is corrupt or the size is wrong); ``append_nodes`` writes the nodes
    of one or more appended leaves together with the new size, atomically (a database store
    does it in the caller's transaction).
    """

    def size(self) -> int: ...

    def get_nodes(self, keys: Sequence[Key]) -> list[bytes]: ...

    def append_nodes(self, nodes: Sequence[tuple[int, int, bytes]], new_size: int) -> None: ...


class MemoryNodeStore:
    """A ``NodeStore`` in lists, one per level; ``from_leaf_hashes`` builds a big one fast."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = [[]]
        self._size = 0
        self.reads = 0  # node reads, so tests and benchmarks can count them

    @classmethod
    def from_leaf_hashes(cls, hashes: Iterable[bytes]) -> MemoryNodeStore:
        """A store holding the given leaves, built level by level (no per-leaf appends)."""
        store = cls()
        level = list(hashes)
        store._size = len(level)
        store.levels = [level]
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            store.levels.append(level)
        return store

    def size(self) -> int:
        return self._size

    def get_nodes(self, keys: Sequence[Key]) -> list[bytes]:
        self.reads += len(keys)
        try:
            return [self.levels[level][index] for level, index in keys]
        except IndexError as error:
            raise KeyError(f"no node among {list(keys)}") from error

    def append_nodes(self, nodes: Sequence[tuple[int, int, bytes]], new_size: int) -> None:
        for level, index, value in nodes:
            while len(self.levels) <= level:
                self.levels.append([])
            if index != len(self.levels[level]):
                raise ValueError(f"node ({level}, {index}) is not the next one on its level")
            self.levels[level].append(value)
        self._size = new_size


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly less than n (n ≥ 2): RFC 6962's split point k."""
    return 1 << ((n - 1).bit_length() - 1)


def _peaks(start: int, end: int) -> list[Key]:
    """The complete subtrees covering ``[start, end)``, left to right (start is aligned)."""
    keys: list[Key] = []
    position = start
    for level in range((end - start).bit_length() - 1, -1, -1):
        if (end - start) >> level & 1:
            keys.append((level, position >> level))
            position += 1 << level
    return keys


def _fold(peaks: Sequence[bytes]) -> bytes:
    """MTH of a range from its complete subtrees: H(p₁, H(p₂, … H(pₖ₋₁, pₖ)))."""
    result = peaks[-1]
    for peak in reversed(peaks[:-1]):
        result = node_hash(peak, result)
    return result


def _inclusion_ranges(index: int, start: int, end: int) -> list[tuple[int, int]]:
    """RFC 6962 PATH(index, D[start:end]) as the ranges whose MTHs it lists, leaf upwards."""
    ranges: list[tuple[int, int]] = []
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if index - start < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def _consistency_ranges(old: int, start: int, end: int, complete: bool) -> list[tuple[int, int]]:
    """RFC 6962 SUBPROOF(old, D[start:end], complete) as ranges, in proof order."""
    n = end - start
    if old == n:
        return [] if complete else [(start, end)]
    k = _largest_power_of_two_below(n)
    if old <= k:
        return [*_consistency_ranges(old, start, start + k, complete), (start + k, end)]
    return [*_consistency_ranges(old - k, start + k, end, False), (start, start + k)]


class MerkleLog:
    """The append-only log over a ``NodeStore``: append, roots of any size, proofs."""

    def __init__(self, store: NodeStore) -> None:
        self.store = store

    @property
    def size(self) -> int:
        return self.store.size()

    def append(self, data: bytes) -> int:
        """Append one entry's bytes; returns its leaf index."""
        return self.append_leaf_hash(leaf_hash(data))

    def append_leaf_hash(self, value: bytes) -> int:
        """Append a leaf by its hash: one batched read of ≤ log₂ n siblings, ≤ log₂ n + 1 writes."""
        index = self.store.size()
        ones = (~index & (index + 1)).bit_length() - 1  # trailing 1-bits of index
        siblings = self.store.get_nodes([(lv, (index >> lv) - 1) for lv in range(ones)])
        nodes = [(0, index, value)]
        current = value
        for level, sibling in enumerate(siblings):
            current = node_hash(sibling, current)
            nodes.append((level + 1, index >> (level + 1), current))
        self.store.append_nodes(nodes, index + 1)
        return index

    def extend(self, values: Iterable[bytes]) -> int:
        """Append many entries' bytes; returns the new size."""
        for data in values:
            self.append(data)
        return self.size

    def _hashes(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        """MTH of each range, reading every needed node in one batch."""
        peak_lists = [_peaks(start, end) for start, end in ranges]
        flat = self.store.get_nodes([key for peaks in peak_lists for key in peaks])
        result, position = [], 0
        for peaks in peak_lists:
            result.append(_fold(flat[position : position + len(peaks)]))
            position += len(peaks)
        return result

    def _size_or_current(self, size: int | None) -> int:
        current = self.store.size()
        if size is None:
            return current
        if not 0 <= size <= current:
            raise ValueError(f"tree size {size} outside 0..{current}")
        return size

    def root(self, size: int | None = None) -> bytes:
        """The root of the tree's first `size` leaves (default: all of them)."""
        size = self._size_or_current(size)
        return EMPTY_ROOT if size == 0 else self._hashes([(0, size)])[0]

    def leaf_hash_at(self, index: int) -> bytes:
        """The stored hash of leaf `index`."""
        if not 0 <= index < self.store.size():
            raise ValueError(f"leaf {index} outside the log")
        return self.store.get_nodes([(0, index)])[0]

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 6962 audit path of leaf `index` in the tree of `size` leaves."""
        size = self._size_or_current(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf {index} outside a tree of {size}")
        return self._hashes(_inclusion_ranges(index, 0, size))

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        """RFC 6962 consistency proof from the tree of `old` leaves to the one of `new`."""
        new = self._size_or_current(new)
        if not 0 <= old <= new:
            raise ValueError(f"old size {old} outside 0..{new}")
        if old in (0, new):
            return []
        return self._hashes(_consistency_ranges(old, 0, new, True))


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """The root over a list of leaf hashes (a reference, e.g. for re-checking a whole log)."""
    return MerkleLog(MemoryNodeStore.from_leaf_hashes(leaf_hashes)).root()


def _well_formed(proof: Sequence[object]) -> bool:
    return all(isinstance(p, bytes) and len(p) == HASH_SIZE for p in proof)


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root `proof` leads to from `leaf` at `index`; None if malformed."""
    if not 0 <= index < size or not _well_formed([leaf, *proof]):
        return None
    fn, sn, result = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = node_hash(p, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, p)
        fn >>= 1
        sn >>= 1
    return result if sn == 0 else None


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """True when `leaf` (a leaf hash) is leaf `index` of the tree of `size` with `root`."""
    computed = root_from_inclusion(index, size, leaf, proof)
    return computed is not None and computed == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: True when the tree of `old_size` is a prefix of the one of `new_size`.

    A proof from the empty tree proves nothing and is refused, as transparency-dev/merkle does.
    """
    if not 0 < old_size <= new_size or not _well_formed(proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


# --- the heads tree -------------------------------------------------------------------------


def head_leaf(lot: str, seq: int, head: str) -> bytes:
    """The heads tree's leaf data for one lot: RFC 8785 JSON of its current head."""
    return canonical({"head": head, "lot": lot, "seq": seq}, "head")


@dataclass(frozen=True)
class HeadProof:
    """Where a lot's head sits in the heads tree, and the audit path to its root."""

    index: int
    count: int
    proof: tuple[bytes, ...]

    def to_json(self) -> dict[str, object]:
        return {"index": self.index, "count": self.count, "proof": [p.hex() for p in self.proof]}


class HeadsTree:
    """The Merkle tree over every lot's current head, sorted by lot ID (built per checkpoint)."""

    def __init__(self, heads: Mapping[str, tuple[int, str]]) -> None:
        self.lots = sorted(heads)
        self.values = {lot: (int(heads[lot][0]), str(heads[lot][1])) for lot in self.lots}
        self.position = {lot: i for i, lot in enumerate(self.lots)}
        leaves = [leaf_hash(head_leaf(lot, *heads[lot])) for lot in self.lots]
        self.log = MerkleLog(MemoryNodeStore.from_leaf_hashes(leaves))

    @property
    def count(self) -> int:
        return len(self.lots)

    @property
    def root(self) -> bytes:
        return self.log.root()

    def proof(self, lot: str) -> HeadProof:
        """The audit path of `lot`'s head (KeyError for a lot without a chain)."""
        index = self.position[lot]
        return HeadProof(index, self.count, tuple(self.log.inclusion_proof(index)))


def verify_head(lot: str, seq: int, head: str, proof: HeadProof, root: bytes) -> bool:
    """True when (`lot`, `seq`, `head`) is the head the heads tree with `root` commits to."""
    leaf = leaf_hash(head_leaf(lot, seq, head))
    return verify_inclusion(proof.index, proof.count, leaf, proof.proof, root)

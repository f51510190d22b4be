"""The export bundle: everything needed to verify a lot's passport offline, in one JSON file.

Format ``huanlian-passport-bundle/1`` (all hashes lower-case hex, all times RFC 3339 UTC)::

    {
      "format": "huanlian-passport-bundle/1",
      "lot": "HL-7",                        # the lot this bundle is about
      "document": { EPCISDocument },        # every event of every chain below, once each
      "chains": {                           # the lot's chain, and optionally its ancestors'
        "HL-7": [
          {"lot": "HL-7", "seq": 1, "event_hash": "…", "prev": "000…0", "hash": "…",
           "log_index": 41,                 # its leaf in the global Merkle log
           "proof": ["…", …]}               # RFC 6962 audit path in the checkpoint's tree
        ]
      },
      "heads": {                            # per chain: its committed head and the proof
        "HL-7": {"seq": 5, "head": "…", "index": 3, "count": 120, "proof": ["…"]}
      },
      "checkpoint": {"body": {…}, "key_id": "…", "signature": "…"},   # see checkpoint.py
      "public_key": "-----BEGIN PUBLIC KEY-----…",
      "older": {                            # optional: an earlier published checkpoint and
        "checkpoint": {"body": …, "key_id": …, "signature": …},       # the RFC 6962
        "consistency": ["…"]                #   consistency proof from it to "checkpoint"
      }
    }

Inclusion proofs are for the checkpoint's ``tree_size``; the Merkle leaf of an entry is the
RFC 8785 JSON of its five chain fields (``ChainEntry.leaf``). Heads proofs are in the heads
tree committed by the checkpoint's ``heads_root`` (``count`` leaves). ``passport.verify`` checks
every part; ``python -m passport.verify_bundle bundle.json`` does it from a shell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from passport import epcis
from passport.chain import ChainEntry
from passport.merkle import HeadsTree, MerkleLog

FORMAT = "huanlian-passport-bundle/1"


def build_bundle(
    lot: str,
    *,
    events: Sequence[Mapping[str, Any]],
    chains: Mapping[str, Sequence[tuple[ChainEntry, int]]],
    log: MerkleLog,
    heads: HeadsTree,
    checkpoint: Mapping[str, Any],
    public_key_pem: str,
    created_at: datetime,
    older: tuple[Mapping[str, Any], Sequence[bytes]] | None = None,
) -> dict[str, Any]:
    """Assemble a bundle for `lot`.

    `chains` maps each included lot to its entries with their leaf indexes, in order; `events`
    are the events those entries hash (each once); `log` and `heads` are in the state the
    signed `checkpoint` describes (proofs are made for its tree size); `older` is an earlier
    signed checkpoint with the consistency proof from it.
    """
    tree_size = checkpoint["body"]["tree_size"]
    bundle: dict[str, Any] = {
        "format": FORMAT,
        "lot": lot,
        "document": epcis.document(events, created_at=created_at),
        "chains": {},
        "heads": {},
        "checkpoint": dict(checkpoint),
        "public_key": public_key_pem,
    }
    for name, entries in chains.items():
        bundle["chains"][name] = [
            {
                **entry.to_json(),
                "log_index": index,
                "proof": [p.hex() for p in log.inclusion_proof(index, tree_size)],
            }
            for entry, index in entries
        ]
        seq, head = heads.values[name]
        bundle["heads"][name] = {"seq": seq, "head": head, **heads.proof(name).to_json()}
    if older is not None:
        signed, proof = older
        bundle["older"] = {"checkpoint": dict(signed), "consistency": [p.hex() for p in proof]}
    return bundle

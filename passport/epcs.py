"""Every EPC an event names, by role, and the capture chain of an EPC that is not a lot of ours.

Pure, shared by the database edge (query index, capture) and the verifier: an event captured
from another EPCIS system that names no lot of ours is kept in a *capture chain* per EPC, whose
ID is ``EPC-`` + the first 32 hex digits of the EPC's SHA-256 — Code39-safe, so the same chain,
proof and bundle machinery covers it, and the verifier can tell the event is about that chain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

# role → the event fields it covers (the EPCIS query's MATCH_epc, MATCH_anyEPC … distinguish them)
ROLES = (
    ("epc", ("epcList", "childEPCs")),
    ("io", ("inputEPCList", "outputEPCList")),
    ("parent", ("parentID",)),
    ("class", ("quantityList", "childQuantityList")),
    ("ioclass", ("inputQuantityList", "outputQuantityList")),
)


def epc_roles(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(EPC or EPC class, role) for everything an event names, each pair once."""
    found: list[tuple[str, str]] = []
    for role, keys in ROLES:
        for key in keys:
            value = event.get(key)
            for item in value if isinstance(value, list) else [value] if value else []:
                if isinstance(item, Mapping):
                    item = item.get("epcClass")
                if isinstance(item, str) and (item, role) not in found:
                    found.append((item, role))
    return found


def epcs_of(event: Mapping[str, Any]) -> list[str]:
    """Every EPC and EPC class an event names, once each, in the order of ``ROLES``."""
    return list(dict.fromkeys(epc for epc, _role in epc_roles(event)))


def capture_chain(epc: str) -> str:
    """The capture chain's ID of a foreign EPC (see the module docstring)."""
    return "EPC-" + hashlib.sha256(epc.encode("utf-8")).hexdigest()[:32].upper()

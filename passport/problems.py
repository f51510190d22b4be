"""What a verification found wrong: a code, where, and a Chinese message with its parameters.

The verifier never stops at the first problem: it reports every one with *what* (``code`` and
the message) and *where* (a JSON-path-like location in the bundle, e.g.
``chains.HL-1[3]`` or ``document.epcisBody.eventList[2]``), so an auditor sees the whole damage.

Messages are Chinese msgids marked with ``N_`` (the web shell translates them like any domain
error's message). ``ENGLISH`` gives their English so the standalone offline verifier
(``python -m passport.verify_bundle --lang en``) needs no catalogue; it also carries the English
of the domain errors the passport modules raise, and ``tests/passport/test_messages.py`` checks
it covers every Chinese string of the package with the same ``%(name)s`` placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.i18n import N_


@dataclass(frozen=True)
class Problem:
    """One thing wrong, with where it is; ``text()`` fills in the parameters."""

    code: str
    where: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "zh") -> str:
        template = ENGLISH.get(self.message, self.message) if lang == "en" else self.message
        return template % self.params if self.params else template

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "where": self.where, "message": self.text(), "params": self.params}


def problem(code: str, where: str, message: str, **params: Any) -> Problem:
    """Shorthand used by the checks: ``problem("chain.link", "chains.X[2]", N_("…"), seq=3)``."""
    return Problem(code, where, message, params)


# The messages of the checks, so they are extracted once and translated in one place.
CHAIN_MALFORMED = N_("链条目格式错误：%(reason)s")
CHAIN_WRONG_LOT = N_("链条目属于批次 %(found)s，而不是 %(lot)s")
CHAIN_GAP = N_("序号不连续：应为 %(expected)s，实际为 %(found)s（缺少条目）")
CHAIN_ORDER = N_("序号顺序错误：应为 %(expected)s，实际为 %(found)s（条目被重排或重复）")
CHAIN_LINK = N_("第 %(seq)s 条的前一哈希与第 %(prev_seq)s 条的哈希不符（链接断开）")
CHAIN_HASH = N_("第 %(seq)s 条的哈希与其内容不符")
CHAIN_EMPTY = N_("批次 %(lot)s 没有链条目")


ENGLISH: dict[str, str] = {
    CHAIN_MALFORMED: "Malformed chain entry: %(reason)s",
    CHAIN_WRONG_LOT: "The chain entry belongs to lot %(found)s, not %(lot)s",
    CHAIN_GAP: "Sequence gap: expected %(expected)s, found %(found)s (entries missing)",
    CHAIN_ORDER: "Sequence out of order: expected %(expected)s, found %(found)s "
    "(entries reordered or repeated)",
    CHAIN_LINK: "Entry %(seq)s does not link to the hash of entry %(prev_seq)s (broken link)",
    CHAIN_HASH: "The hash of entry %(seq)s does not match its content",
    CHAIN_EMPTY: "Lot %(lot)s has no chain entries",
}

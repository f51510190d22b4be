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

BUNDLE_MALFORMED = N_("导出包格式错误：%(reason)s")
KEY_UNREADABLE = N_("导出包中的公钥无法读取")
KEY_UNTRUSTED = N_("导出包的公钥（%(found)s）不是您信任的平台公钥（%(trusted)s）")
CHECKPOINT_MALFORMED = N_("检查点格式错误：%(reason)s")
CHECKPOINT_SIGNATURE = N_("检查点签名无效：检查点被改动，或不是这把公钥签的")
SCHEMA_INVALID = N_("EPCIS 数据不符合 JSON Schema（%(schema)s）：%(path)s：%(reason)s")
JSONLD_INVALID = N_("EPCIS 文档无法按 JSON-LD 展开：%(reason)s")
DOCUMENT_CONTEXT = N_("文档的 @context 不是护照使用的标准上下文，事件的含义可能被改变")
EVENT_DUPLICATE = N_("同一事件在文档中出现了两次")
EVENT_ID = N_("事件编号与事件内容不符")
EVENT_MISSING = N_("第 %(seq)s 条记录的事件不在文档中（事件被改动或删除）")
EVENT_UNCHAINED = N_("该事件不属于任何批次的链（事件被改动或插入）")
EVENT_WRONG_LOT = N_("第 %(seq)s 条记录的事件与批次 %(lot)s 无关")
LOG_INCLUSION = N_("第 %(seq)s 条记录不在检查点的日志中（包含证明无效）")
LOG_ORDER = N_("第 %(seq)s 条记录在日志中的位置早于前一条")
HEADS_MISSING = N_("检查点没有批次 %(lot)s 的链头证明")
HEADS_TRUNCATED = N_("链止于第 %(found)s 条，而检查点记录的链头是第 %(committed)s 条（链被截断或改动）")
HEADS_PROOF = N_("批次 %(lot)s 的链头不在检查点的链头树中（证明无效）")
LINEAGE_HEAD = N_("转换记录的投入批次 %(lot)s 第 %(seq)s 条链头与该批次的链不符")
LINEAGE_LINK = N_("投入批次 %(lot)s 的链中缺少这次转换")
LINEAGE_MASS = N_("转换的产出 %(out)s 克超过投入 %(in_)s 克（容差 %(tol)s 克）")
OLDER_SIGNATURE = N_("旧检查点签名无效")
OLDER_CONSISTENCY = N_("当前日志与 %(time)s 的旧检查点（%(size)s 条）不一致：历史被改写")
OLDER_NOT_KEPT = N_("导出包没有证明与您保存的检查点（%(size)s 条）一致")

ENGLISH.update(
    {
        BUNDLE_MALFORMED: "Malformed export bundle: %(reason)s",
        KEY_UNREADABLE: "The public key in the bundle cannot be read",
        KEY_UNTRUSTED: "The bundle's public key (%(found)s) is not the platform key you trust "
        "(%(trusted)s)",
        CHECKPOINT_MALFORMED: "Malformed checkpoint: %(reason)s",
        CHECKPOINT_SIGNATURE: "Invalid checkpoint signature: the checkpoint was changed or "
        "not signed by this key",
        SCHEMA_INVALID: "EPCIS data fails the JSON Schema (%(schema)s): %(path)s: %(reason)s",
        JSONLD_INVALID: "The EPCIS document cannot be expanded as JSON-LD: %(reason)s",
        DOCUMENT_CONTEXT: "The document's @context is not the standard context passports use; "
        "the events' meaning may have been changed",
        EVENT_DUPLICATE: "The same event appears twice in the document",
        EVENT_ID: "The event ID does not match the event's content",
        EVENT_MISSING: "The event of entry %(seq)s is not in the document (changed or deleted)",
        EVENT_UNCHAINED: "This event is in no lot's chain (changed or inserted)",
        EVENT_WRONG_LOT: "The event of entry %(seq)s does not concern lot %(lot)s",
        LOG_INCLUSION: "Entry %(seq)s is not in the checkpoint's log (invalid inclusion proof)",
        LOG_ORDER: "Entry %(seq)s sits earlier in the log than the entry before it",
        HEADS_MISSING: "The checkpoint has no head proof for lot %(lot)s",
        HEADS_TRUNCATED: "The chain ends at entry %(found)s but the checkpoint's head is entry "
        "%(committed)s (chain truncated or changed)",
        HEADS_PROOF: "The head of lot %(lot)s is not in the checkpoint's heads tree "
        "(invalid proof)",
        LINEAGE_HEAD: "The transformation's input head of lot %(lot)s, entry %(seq)s, does "
        "not match that lot's chain",
        LINEAGE_LINK: "The chain of input lot %(lot)s lacks this transformation",
        LINEAGE_MASS: "The transformation's outputs, %(out)s g, outweigh its inputs, %(in_)s g "
        "(tolerance %(tol)s g)",
        OLDER_SIGNATURE: "Invalid signature on the older checkpoint",
        OLDER_CONSISTENCY: "The log is not consistent with the older checkpoint of %(time)s "
        "(%(size)s entries): history was rewritten",
        OLDER_NOT_KEPT: "The bundle does not prove consistency with the checkpoint you kept "
        "(%(size)s entries)",
    }
)

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
        return {
            "code": self.code,
            "where": self.where,
            "message": self.text(),
            "params": self.params,
        }


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
HEADS_TRUNCATED = N_(
    "链止于第 %(found)s 条，而检查点记录的链头是第 %(committed)s 条（链被截断或改动）"
)
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

# English of the domain errors the passport modules raise (ids, canonical, epcis, lineage, …).
ENGLISH.update(
    {
        "%(key)s 只能由数字组成": "%(key)s must be digits only",
        "%(key)s 校验位错误：末位应为 %(expected)s，实际为 %(actual)s": "Wrong %(key)s check digit: the last digit should be %(expected)s, not %(actual)s",
        "%(key)s 长度应为 %(lengths)s 位，实际 %(n)s 位": "%(key)s must have %(lengths)s digits, not %(n)s",
        "EPCIS 文档必须是 JSON 对象": "An EPCIS document must be a JSON object",
        "EPCIS 数据不符合 JSON Schema（%(schema)s）：%(path)s：%(reason)s": "EPCIS data fails the JSON Schema (%(schema)s): %(path)s: %(reason)s",
        "GS1 批号（AI 10）最多 %(max)s 个字符": "A GS1 batch/lot (AI 10) has at most %(max)s characters",
        "主机名无效（小写域名，可带端口）": "Invalid host name (a lower-case domain, optionally with a port)",
        "事件时间必须带时区（UTC）": "The event time needs a time zone (UTC)",
        "事件编号已存在（重复提交）": "This event ID already exists (replayed event)",
        "产出重量 %(out)s 克超过投入 %(in_)s 克（容差 %(tol)s 克），质量不平衡": "Outputs of %(out)s g outweigh the inputs of %(in_)s g (tolerance %(tol)s g): mass is not balanced",
        "公钥不是 Ed25519 密钥": "The public key is not an Ed25519 key",
        "公钥无法读取": "The public key cannot be read",
        "同一批次在转换中出现两次": "The same lot appears twice in the transformation",
        "批次 %(lot)s 已由另一次转换产出": "Lot %(lot)s was already produced by another transformation",
        "批次不在谱系中：%(lot)s": "Lot not in the lineage: %(lot)s",
        "数据无法按 RFC 8785 规范化：%(reason)s": "The data cannot be canonicalised (RFC 8785): %(reason)s",
        "无法识别的二维码内容": "Unrecognised code content",
        "无法识别的二维码内容：不是 https 地址": "Unrecognised code content: not an https address",
        "无法识别的二维码内容：主机名无效": "Unrecognised code content: invalid host name",
        "无法识别的二维码内容：路径应为 /lot/编号、/01/GTIN/10/批号 或 /00/SSCC": "Unrecognised code content: the path should be /lot/ID, /01/GTIN/10/batch or /00/SSCC",
        "未知的最终用途：%(use)s": "Unknown end use: %(use)s",
        "检查点不是用这把公钥签名的": "The checkpoint was not signed with this public key",
        "检查点格式错误": "Malformed checkpoint",
        "检查点签名无效": "Invalid checkpoint signature",
        "签名私钥不是 Ed25519 密钥": "The signing key is not an Ed25519 key",
        "签名私钥无法读取": "The signing key cannot be read",
        "编号不能为空": "The ID is required",
        "编号不能以 - 开头或结尾，也不能含连续的 -": "An ID cannot start or end with - or contain consecutive -",
        "编号只能含大写字母、数字和 -（不会自动转为大写）：%(chars)s": "An ID may contain only upper-case letters, digits and - (nothing is upper-cased for you): %(chars)s",
        "编号过长（最多 %(max)s 个字符）": "The ID is too long (at most %(max)s characters)",
        "缺少投入批次的链头：%(lot)s": "The chain head of input lot %(lot)s is missing",
        "该事件已被声明有误": "This event has already been declared in error",
        "请填写 %(key)s": "Please enter the %(key)s",
        "转换事件缺少以千克计的数量": "The transformation event lacks quantities in kilograms",
        "转换会形成循环：%(lot)s 已是投入的来源": "The transformation would make a cycle: %(lot)s is already upstream of an input",
        "转换需要至少一个投入和一个产出": "A transformation needs at least one input and one output",
        "这个二维码不属于本平台（%(host)s）": "This code does not belong to this platform (%(host)s)",
        "重量必须是非负整数克": "Weights must be non-negative whole grams",
        "重量超出范围": "The weight is out of range",
    }
)

# the database edge (passport/services, the EPCIS interfaces, the scan pages)
ENGLISH.update(
    {
        "没有这种标签": "No such label",
        "older 应为已发布检查点的日志大小": "older must be the log size of a published checkpoint",
        "这个 GTIN 下没有这个批次": "This lot is not registered under this GTIN",
        "还没有检查点": "No checkpoint yet",
        "请上传或粘贴护照文件，或输入批次编号": "Upload or paste a passport file, or enter a lot ID",
        "文件过大": "The file is too large",
        "护照文件不是有效的 JSON": "The passport file is not valid JSON",
        "nextPageToken 无效": "Invalid nextPageToken",
        "perPage 应为 1–%(max)s": "perPage must be 1–%(max)s",
        "一次最多提交 %(max)s 个事件": "At most %(max)s events per capture",
        "不支持的查询参数：%(name)s": "Unsupported query parameter: %(name)s",
        "事件不存在": "No such event",
        "事件中的标识无效：%(reason)s": "An identifier in the event is invalid: %(reason)s",
        "事件必须是 JSON 对象": "An event must be a JSON object",
        "事件没有任何 EPC": "The event names no EPC",
        "事件没有指向本平台的任何批次": "The event names no lot of this platform",
        "事件缺少 eventID": "The event has no eventID",
        "数量无效": "Invalid quantity",
        "文档没有事件": "The document holds no events",
        "时间格式无效": "Invalid time format",
        "未知批次：%(lot)s": "Unknown lot: %(lot)s",
        "未知的事件类型": "Unknown event type",
        "查询参数无效：%(name)s": "Invalid query parameter: %(name)s",
        "没有登记这个 SSCC 的批次": "No lot is registered under this SSCC",
        "没有这个大小的已发布检查点": "No published checkpoint of this size",
        "没有这个批次的护照": "No passport for this lot",
        "没有这个采集任务": "No such capture job",
        "被声明有误的事件不存在": "The event declared in error does not exist",
        "请求体不是 JSON": "The request body is not JSON",
        "这个批次还没有任何事件": "This lot has no events yet",
        "错误声明必须原样重复被声明的事件": "An error declaration must repeat the declared event unchanged",
        "需要 EPCISDocument": "An EPCISDocument is required",
    }
)

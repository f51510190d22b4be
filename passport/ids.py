"""Identity of lots and packages: Code39-safe IDs, lot URIs, GS1 keys and GS1 Digital Link.

**IDs.** A lot or package ID is what the label prints as Code39 and what the QR code's URI ends
with, so it uses the subset of the Code39 alphabet that survives every scanner, keyboard wedge
and URL without escaping: upper-case ``A–Z``, digits and ``-`` between them (``HL-2026-000123``,
``ST01-SRT-20261201-0007``), at most 40 characters (a 60 mm label). Lower case is refused, never
upper-cased: python-barcode would upper-case it silently and the printed label would then not
match the stored ID. Lots and packages share one ID space and one URI form.

**URIs.** The lot URI is ``https://<host>/lot/<ID>``. When a GS1 key with a valid check digit is
supplied, the GS1 Digital Link forms are ``https://<host>/01/<GTIN-14>/10/<ID>`` (a batch of a
trade item: GTIN + AI 10, at most 20 characters) and ``https://<host>/00/<SSCC>`` (a logistic
unit). ``parse_uri`` reads any of them back (``http`` is accepted for local set-ups; the query
string, which Digital Link uses for attributes, is ignored).

**Errors.** A refused ID or key is ``core.errors.Invalid`` (422) naming the field. A scanned URI
or ID that is malformed is ``MalformedIdentifier``: status 400, so the public scan page answers
400 for a malformed ID and 404 (the edge's lookup) for a well-formed unknown one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from core.errors import DomainError, Invalid

MAX_ID_LENGTH = 40
MAX_AI10_LENGTH = 20  # GS1 General Specifications: AI (10) batch/lot is X..20
ID_PATTERN = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
HOST_PATTERN = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"(?::[1-9][0-9]{0,4})?"
)
GTIN_LENGTHS = (8, 12, 13, 14)
SSCC_LENGTH = 18


class MalformedIdentifier(DomainError):
    """A scanned URI or ID that cannot be a passport identifier (the scan page answers 400)."""

    status = 400
    code = "malformed_identifier"


@dataclass(frozen=True)
class ScannedId:
    """What a scanned URI names: a lot by ID, a GTIN batch, or an SSCC logistic unit."""

    kind: Literal["lot", "gtin_lot", "sscc"]
    host: str
    lot_id: str | None = None
    gtin: str | None = None  # always 14 digits
    sscc: str | None = None


def validate_id(text: object, field: str = "lot_id") -> str:
    """`text` when it is a valid lot/package ID; otherwise `Invalid` naming `field`."""
    if not isinstance(text, str) or not text:
        raise Invalid("编号不能为空", {field: "required"})
    if len(text) > MAX_ID_LENGTH:
        raise Invalid("编号过长（最多 %(max)s 个字符）", {field: "too long"}, max=MAX_ID_LENGTH)
    if not ID_PATTERN.fullmatch(text):
        bad = sorted({c for c in text if not (c.isascii() and (c.isupper() or c.isdigit()))})
        bad = [c for c in bad if c != "-"]
        if bad:
            raise Invalid(
                "编号只能含大写字母、数字和 -（不会自动转为大写）：%(chars)s",
                {field: "characters outside A-Z 0-9 -"},
                chars=" ".join(repr(c) for c in bad),
            )
        raise Invalid("编号不能以 - 开头或结尾，也不能含连续的 -", {field: "misplaced hyphen"})
    return text


def validate_host(host: object, field: str = "host") -> str:
    """A lower-case DNS name or IPv4 address with an optional port, as URIs need it."""
    if not isinstance(host, str) or len(host) > 253 or not HOST_PATTERN.fullmatch(host):
        raise Invalid("主机名无效（小写域名，可带端口）", {field: "invalid host"})
    return host


def lot_uri(host: str, lot_id: str, *, scheme: Literal["https", "http"] = "https") -> str:
    """The URI a lot's QR code carries: ``https://<host>/lot/<ID>``."""
    return f"{scheme}://{validate_host(host)}/lot/{validate_id(lot_id)}"


def gs1_check_digit(body: str) -> str:
    """The GS1 mod-10 check digit of a digit string (weights 3, 1, 3, … from the right)."""
    if not body.isascii() or not body.isdigit():
        raise ValueError("GS1 keys are digits")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def _validate_key(code: object, lengths: tuple[int, ...], name: str, field: str) -> str:
    if not isinstance(code, str) or not code:
        raise Invalid("请填写 %(key)s", {field: "required"}, key=name)
    if not code.isascii() or not code.isdigit():
        raise Invalid("%(key)s 只能由数字组成", {field: "digits only"}, key=name)
    if len(code) not in lengths:
        raise Invalid(
            "%(key)s 长度应为 %(lengths)s 位，实际 %(n)s 位",
            {field: "wrong length"},
            key=name,
            lengths="/".join(str(n) for n in lengths),
            n=len(code),
        )
    expected = gs1_check_digit(code[:-1])
    if code[-1] != expected:
        raise Invalid(
            "%(key)s 校验位错误：末位应为 %(expected)s，实际为 %(actual)s",
            {field: "wrong check digit"},
            key=name,
            expected=expected,
            actual=code[-1],
        )
    return code


def validate_gtin(code: object, field: str = "gtin") -> str:
    """A GTIN-8/12/13/14 with a correct check digit, returned as GTIN-14 (left zero-padded)."""
    return _validate_key(code, GTIN_LENGTHS, "GTIN", field).zfill(14)


def validate_sscc(code: object, field: str = "sscc") -> str:
    """An SSCC-18 with a correct check digit."""
    return _validate_key(code, (SSCC_LENGTH,), "SSCC", field)


def digital_link_gtin(host: str, gtin: str, lot_id: str) -> str:
    """GS1 Digital Link of a batch: ``https://<host>/01/<GTIN-14>/10/<lot>``."""
    gtin14 = validate_gtin(gtin)
    validate_id(lot_id)
    if len(lot_id) > MAX_AI10_LENGTH:
        raise Invalid(
            "GS1 批号（AI 10）最多 %(max)s 个字符", {"lot_id": "too long for AI 10"}, max=20
        )
    return f"https://{validate_host(host)}/01/{gtin14}/10/{lot_id}"


def digital_link_sscc(host: str, sscc: str) -> str:
    """GS1 Digital Link of a logistic unit: ``https://<host>/00/<SSCC>``."""
    return f"https://{validate_host(host)}/00/{validate_sscc(sscc)}"


def _malformed(reason: str, field: str = "uri", **params: object) -> MalformedIdentifier:
    return MalformedIdentifier(reason, {field: "malformed"}, **params)


def _scanned_id(text: str, field: str) -> str:
    try:
        return validate_id(text, field)
    except Invalid as error:
        raise MalformedIdentifier(error.message, error.fields, **error.params) from error


def parse_uri(uri: object, *, host: str | None = None) -> ScannedId:
    """What a scanned lot URI or Digital Link names; `MalformedIdentifier` (400) otherwise.

    With `host`, a URI of another host is refused too (the scan page serves only its own).
    """
    if not isinstance(uri, str) or not uri or len(uri) > 300:
        raise _malformed("无法识别的二维码内容")
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment:
        raise _malformed("无法识别的二维码内容：不是 https 地址")
    if not HOST_PATTERN.fullmatch(parts.netloc):
        raise _malformed("无法识别的二维码内容：主机名无效")
    if host is not None and parts.netloc != host:
        raise _malformed("这个二维码不属于本平台（%(host)s）", host=parts.netloc)
    segments = parts.path.split("/")[1:]
    if segments and segments[-1] == "":
        segments = segments[:-1]  # a trailing slash is harmless
    if len(segments) == 2 and segments[0] == "lot":
        return ScannedId("lot", parts.netloc, lot_id=_scanned_id(segments[1], "lot_id"))
    if len(segments) == 4 and segments[0] == "01" and segments[2] == "10":
        try:
            gtin = validate_gtin(segments[1])
        except Invalid as error:
            raise MalformedIdentifier(error.message, error.fields, **error.params) from error
        lot_id = _scanned_id(segments[3], "lot_id")
        if len(lot_id) > MAX_AI10_LENGTH:
            raise _malformed("GS1 批号（AI 10）最多 %(max)s 个字符", "lot_id", max=20)
        return ScannedId("gtin_lot", parts.netloc, lot_id=lot_id, gtin=gtin)
    if len(segments) == 2 and segments[0] == "00":
        try:
            sscc = validate_sscc(segments[1])
        except Invalid as error:
            raise MalformedIdentifier(error.message, error.fields, **error.params) from error
        return ScannedId("sscc", parts.netloc, sscc=sscc)
    raise _malformed("无法识别的二维码内容：路径应为 /lot/编号、/01/GTIN/10/批号 或 /00/SSCC")


def parse_scan(text: object, *, host: str | None = None) -> ScannedId:
    """A scan from either symbol: a URI (QR) or a bare ID (Code39, read as the host's lot)."""
    if isinstance(text, str) and "://" in text:
        return parse_uri(text, host=host)
    if host is None:
        raise ValueError("a bare ID needs the host it belongs to")
    return ScannedId("lot", host, lot_id=_scanned_id(text if isinstance(text, str) else "", "id"))

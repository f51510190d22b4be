"""The certificate of recycling as an A4 PDF, from its frozen body (no database access).

Chinese text uses Adobe's standard CID font STSong-Light, which every conforming PDF reader
supplies, so the file stays small and needs no font shipped with the platform; the text stays
selectable and searchable. A QR code carries the public verification URL, and the footer prints
the SHA-256 of the canonical body that the page shows too.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from core.time import to_local

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

END_USE = {
    "recycling": "再生利用（作为原料） Recycling",
    "reuse": "直接再使用 Reuse",
    "energy": "能量回收 Energy recovery",
    "disposal": "无害化处置 Disposal",
}
EVIDENCE = {
    "photo": "照片",
    "lab_report": "检测报告",
    "compliance": "合规文件",
    "dispute": "争议证据",
}


def _local(value: str | None, tz: str) -> str:
    if not value:
        return "—"
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return to_local(moment, tz).strftime("%Y-%m-%d %H:%M")


def render(body: dict[str, Any], sha256: str, url: str, tz: str) -> bytes:
    """The PDF bytes of one certificate."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"再生资源回收利用证明 {body['number']}")
    pdf.setAuthor("环链 Huanlian")
    width, height = A4
    left, y = 20 * mm, height - 25 * mm

    pdf.setFont(FONT, 20)
    pdf.drawCentredString(width / 2, y, "再生资源回收利用证明")
    y -= 8 * mm
    pdf.setFont("Helvetica", 11)
    pdf.drawCentredString(width / 2, y, "Certificate of Recycling")
    y -= 12 * mm

    rows = [
        ("证明编号 No.", body["number"]),
        ("签发时间 Issued", _local(body["issued_at"], tz)),
        ("品类 Category", f"{body['category']['name']}（{body['category']['code']}）"),
        ("净重 Net weight", f"{body['net_kg']} kg"),
        ("产废单位 Seller", f"{body['seller']['name']}  {body['seller']['uscc']}"),
        ("利用单位 Buyer", f"{body['buyer']['name']}  {body['buyer']['uscc']}"),
        ("最终用途 End use", END_USE.get(body["end_use"]["kind"], body["end_use"]["kind"])),
        ("用途说明", body["end_use"]["description"]),
        ("批次 Lot", f"#{body['lot']['id']} v{body['lot']['version']}  {body['lot']['title']}"),
        ("成交 Awarded", _local(body["dates"]["awarded"], tz)),
        ("到货 Delivered", _local(body["dates"]["delivered"], tz)),
        ("结算 Settled", _local(body["dates"]["settled"], tz)),
    ]
    if body.get("hazardous"):
        rows.insert(4, ("危险废物代码 HW", ", ".join(body["hw_codes"])))
    for label, value in rows:
        pdf.setFont(FONT, 10)
        pdf.drawString(left, y, label)
        pdf.drawString(left + 40 * mm, y, str(value)[:70])
        y -= 7 * mm

    y -= 4 * mm
    pdf.setFont(FONT, 11)
    pdf.drawString(left, y, "证据文件（SHA-256） Evidence")
    y -= 6 * mm
    for item in body["evidence"][:20] or [{"kind": "", "filename": "—", "sha256": ""}]:
        pdf.setFont(FONT, 8)
        pdf.drawString(
            left, y, f"{EVIDENCE.get(item['kind'], item['kind'])} {item['filename']}"[:60]
        )
        pdf.setFont("Courier", 7)
        pdf.drawString(left + 70 * mm, y, item["sha256"])
        y -= 5 * mm

    qr = QrCodeWidget(url)
    x0, y0, x1, y1 = qr.getBounds()
    size = 32 * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, pdf, width - 20 * mm - size, 30 * mm)

    pdf.setFont(FONT, 8)
    pdf.drawString(left, 40 * mm, "扫码或访问以下地址核验本证明：")
    pdf.setFont("Courier", 7)
    pdf.drawString(left, 35 * mm, url[:110])
    pdf.setFont(FONT, 8)
    pdf.drawString(left, 28 * mm, "内容指纹（RFC 8785 规范化 JSON 的 SHA-256）：")
    pdf.setFont("Courier", 7)
    pdf.drawString(left, 23 * mm, sha256)
    pdf.setFont(FONT, 8)
    pdf.drawString(left, 15 * mm, "环链 Huanlian 再生资源产业互联网平台 签发")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()

"""HTML form ⇄ archive dict: the pages post flat fields; the API schema validates both alike."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from marketplace.lots.models import LotVersion
from marketplace.lots.properties import SPECS

COMPOSITION_ROWS = 3
SIMPLE = (
    "site_id",
    "grade",
    "title",
    "description",
    "quantity_t",
    "quantity_basis",
    "form",
    "package_count",
    "unit_weight_kg",
    "bulk_density_kg_m3",
    "available_from",
    "available_until",
    "industry_code",
    "process",
    "ask_yuan_per_t",
)


def to_archive(form: MultiDict[str, str]) -> dict[str, Any]:
    """The archive the form describes, in the API's shape (empty inputs left out)."""
    data: dict[str, Any] = {k: form[k].strip() for k in SIMPLE if form.get(k, "").strip()}
    data["loading"] = form.getlist("loading")
    codes = form.get("hw_codes", "").replace("，", ",")
    data["hw_codes"] = [c.strip() for c in codes.split(",") if c.strip()]
    orders = [
        o.strip() for o in form.get("work_orders", "").replace("，", ",").split(",") if o.strip()
    ]
    if orders or form.get("period_start") or form.get("period_end"):
        data["batch"] = {
            "work_orders": orders,
            "period_start": form.get("period_start") or None,
            "period_end": form.get("period_end") or None,
        }
    if form.get("recurring"):
        data["recurrence"] = {
            "recurring": True,
            "frequency": form.get("frequency") or None,
            "expected_t_per_period": form.get("expected_t_per_period") or None,
        }
    data["properties"] = [
        {
            "key": key,
            "value": form[f"prop_{key}"].strip(),
            "unit": spec.unit,
            "method": form.get(f"prop_{key}_method", "").strip(),
            "source": form.get(f"prop_{key}_source", "declared"),
        }
        for key, spec in SPECS.items()
        if form.get(f"prop_{key}", "").strip()
    ]
    data["composition"] = [
        {
            "component": form[f"comp_{i}_component"].strip(),
            "value": form.get(f"comp_{i}_value", ""),
            "unit": form.get(f"comp_{i}_unit", "%"),
            "method": form.get(f"comp_{i}_method", ""),
            "source": form.get(f"comp_{i}_source", "declared"),
        }
        for i in range(COMPOSITION_ROWS)
        if form.get(f"comp_{i}_component", "").strip()
    ]
    return data


def from_version(version: LotVersion) -> dict[str, Any]:
    """Form values that show an archive version for editing."""
    from core.units import fen_to_yuan, grams_to_kg

    values: dict[str, Any] = {
        "site_id": str(version.site_id),
        "grade": version.category.code,
        "title": version.title,
        "description": version.description,
        "quantity_t": format((grams_to_kg(version.quantity_g) / 1000).normalize(), "f"),
        "quantity_basis": version.quantity_basis.value,
        "form": version.form.value,
        "package_count": version.package_count or "",
        "unit_weight_kg": format(grams_to_kg(version.unit_weight_g).normalize(), "f")
        if version.unit_weight_g
        else "",
        "bulk_density_kg_m3": version.bulk_density_kg_m3 or "",
        "available_from": version.available_from or "",
        "available_until": version.available_until or "",
        "industry_code": version.industry_code,
        "process": version.process,
        "ask_yuan_per_t": fen_to_yuan(version.ask_fen_per_t)
        if version.ask_fen_per_t is not None
        else "",
        "loading": version.loading,
        "hw_codes": ", ".join(version.hw_codes),
        "work_orders": ", ".join(version.batch.get("work_orders", [])),
        "period_start": version.batch.get("period_start") or "",
        "period_end": version.batch.get("period_end") or "",
        "recurring": version.recurrence.get("recurring", False),
        "frequency": version.recurrence.get("frequency") or "",
        "expected_t_per_period": version.recurrence.get("expected_t_per_period") or "",
    }
    for p in version.properties:
        values[f"prop_{p['key']}"] = p["value"]
        values[f"prop_{p['key']}_method"] = p.get("method", "")
        values[f"prop_{p['key']}_source"] = p.get("source", "declared")
    for i, c in enumerate(version.composition[:COMPOSITION_ROWS]):
        for k in ("component", "value", "unit", "method", "source"):
            values[f"comp_{i}_{k}"] = c.get(k, "")
    return values

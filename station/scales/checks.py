"""What may be recorded from a scale: only a stable reading, within 0 … capacity, in the unit
the scale is configured for.

Each refusal is a code the station shows and logs, plus a Chinese message (a msgid marked
with N_, with %(name)s placeholders) that the web shell translates before filling `params`.
A frame without a unit takes the configured one; a frame whose unit differs is refused
rather than converted, because a scale sending t where kg was configured is misconfigured
and every weight it sent is suspect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core.i18n import N_
from station.scales.base import KG_PER_UNIT, OVERLOAD, UNDERLOAD, Reading, ScaleConfig

REFUSAL_MESSAGES: dict[str, str] = {
    "unstable": N_("读数不稳定，请等秤稳定后再记录。"),
    "over_capacity": N_("重量 %(weight)s kg 超过秤的最大称量 %(capacity)s kg，不能记录。"),
    "negative": N_("重量 %(weight)s kg 小于零，请先检查置零和皮重。"),
    "unit_mismatch": N_(
        "秤发送的单位 %(frame_unit)s 与配置的单位 %(unit)s 不一致，请检查秤的设置。"
    ),
    "overload": N_("秤显示超载（超过最大称量），不能记录。"),
    "underload": N_("秤显示欠载（低于零点），请先检查置零。"),
    "scale_error": N_("秤没有给出重量（%(error)s），不能记录。"),
}

# Reading.error codes in words, for the %(error)s above (msgids: translate before filling).
ERROR_LABELS: dict[str, str] = {
    "overload": N_("超载"),
    "underload": N_("欠载"),
    "busy": N_("秤忙，指令未执行"),
    "syntax": N_("指令语法错误"),
    "transmission": N_("传输错误"),
    "logical": N_("指令无法执行"),
    "motion": N_("秤台晃动"),
    "negative": N_("负重量"),
    "zero_range": N_("超出置零范围"),
    "no_weight": N_("无重量数据"),
    "ack": N_("仅为指令应答"),
}


@dataclass(frozen=True)
class Refusal:
    """Why a reading may not be recorded: `code` for programs, `message` % `params` for people."""

    code: str
    params: dict[str, str] = field(default_factory=dict)
    scale_error: str | None = None  # the Reading.error code behind a "scale_error"

    @property
    def message(self) -> str:
        """The Chinese msgid (translate it, then fill in `params`)."""
        return REFUSAL_MESSAGES[self.code]

    def text(self) -> str:
        """The Chinese message with its values filled in."""
        return self.message % self.params if self.params else self.message


def weight_kg(reading: Reading, config: ScaleConfig) -> Decimal:
    """The reading in kilograms: its own unit, or the configured one when it sends none."""
    unit = (reading.unit or config.unit).lower()
    factor = KG_PER_UNIT.get(unit)
    if factor is None:
        raise ValueError(f"unit {unit!r} is not a unit of mass a station records")
    return reading.weight * factor


def check_reading(reading: Reading, config: ScaleConfig) -> Refusal | None:
    """None when `reading` may be recorded; otherwise the first reason it may not.

    In order: the scale reported an error, the unit conflicts, the weight is not stable
    (no flag and no software decision counts as not stable), under zero, over capacity.
    """
    if reading.error == OVERLOAD:
        return Refusal("overload")
    if reading.error == UNDERLOAD:
        return Refusal("underload")
    if reading.error is not None:
        label = ERROR_LABELS.get(reading.error, reading.error)
        return Refusal("scale_error", {"error": label}, reading.error)
    if reading.unit is not None and reading.unit.lower() != config.unit:
        return Refusal("unit_mismatch", {"frame_unit": reading.unit, "unit": config.unit})
    if reading.stable is not True:
        return Refusal("unstable")
    kg = weight_kg(reading, config)
    if kg < 0:
        return Refusal("negative", {"weight": str(kg)})
    if kg > config.capacity_kg:
        return Refusal("over_capacity", {"weight": str(kg), "capacity": str(config.capacity_kg)})
    return None

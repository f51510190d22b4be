"""Helpers shared by the scale tests: a config builder for any protocol and variant."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from station.scales import Protocol, ScaleConfig, protocol_for


def config(protocol: str, variant: str | None = None, **overrides: Any) -> ScaleConfig:
    """A scale of 3 t with e = 0.5 kg unless told otherwise."""
    values: dict[str, Any] = {
        "protocol": protocol,
        "variant": variant,
        "port": "/dev/null",
        "division_kg": Decimal("0.5"),
        "capacity_kg": Decimal(3000),
    }
    values.update(overrides)
    return ScaleConfig(**values)


def proto(protocol: str, variant: str | None = None, **overrides: Any) -> Protocol:
    return protocol_for(config(protocol, variant, **overrides))

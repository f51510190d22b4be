"""Scale drivers: pure protocol parsers, software stability, recording checks (no I/O), and at
the edge a pyserial driver and a simulator that speaks every protocol.

Typical use by the station services::

    config = ScaleConfig.from_scale(scale_row, variant="reversed")
    with ScaleDriver(config) as driver:
        reading = driver.wait_stable(timeout_s=10)
    refusal = check_reading(reading, config)   # None: it may be recorded
    kg = weight_kg(reading, config)

`serial_driver` and `simulator` import pyserial; import them from their modules.
"""

from __future__ import annotations

from station.scales.base import (
    MT_SICS,
    ST_GS,
    TOLEDO_8217,
    TOLEDO_CONTINUOUS,
    VARIANTS,
    XK3190,
    YAOHUA_A12E,
    Decoder,
    FrameError,
    Protocol,
    Reading,
    ScaleConfig,
    ScaleConfigError,
)
from station.scales.checks import REFUSAL_MESSAGES, Refusal, check_reading, weight_kg
from station.scales.mt_sics import MtSics
from station.scales.st_gs import StGs
from station.scales.stability import StabilityDetector
from station.scales.toledo import Toledo8217, ToledoContinuous
from station.scales.xk3190 import Xk3190Command, Xk3190Equals, Xk3190Stx
from station.scales.yaohua import YaohuaA12e

__all__ = [
    "REFUSAL_MESSAGES",
    "VARIANTS",
    "Decoder",
    "FrameError",
    "Protocol",
    "Reading",
    "Refusal",
    "ScaleConfig",
    "ScaleConfigError",
    "StabilityDetector",
    "check_reading",
    "protocol_for",
    "weight_kg",
]

_BY_NAME: dict[str, type[Protocol]] = {
    MT_SICS: MtSics,
    TOLEDO_CONTINUOUS: ToledoContinuous,
    TOLEDO_8217: Toledo8217,
    XK3190: Xk3190Stx,
    YAOHUA_A12E: YaohuaA12e,
    ST_GS: StGs,
}
_XK3190_VARIANTS: dict[str | None, type[Protocol]] = {
    None: Xk3190Stx,
    "reversed": Xk3190Equals,
    "forward": Xk3190Equals,
    "command": Xk3190Command,
}


def protocol_for(config: ScaleConfig) -> Protocol:
    """The protocol implementation a configured scale speaks (its name plus its variant)."""
    if config.protocol == XK3190:
        return _XK3190_VARIANTS[config.variant](config)
    return _BY_NAME[config.protocol](config)

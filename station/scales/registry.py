"""The scales this process reads: one driver per configured scale, started on first use.

A station's server (the PC beside the weighbridge) runs the platform with its scales'
serial ports configured; a weighing asks the registry for the scale's current stable reading,
which the driver has been reading all along. A reading that may not be recorded (unstable,
over capacity, negative, wrong unit, the scale reports an error) is refused with the scale's
own reason, and nothing is written.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from core.errors import Conflict, Invalid
from station.scales.base import ScaleConfig
from station.scales.checks import check_reading, weight_kg
from station.scales.serial_driver import ScaleDriver, ScaleStatus, ScaleTimeout


def config_of(scale: Any) -> ScaleConfig:
    """A `station_scales` row as the driver's configuration, with its variant and address."""
    return ScaleConfig.from_scale(scale, variant=scale.variant, address=scale.address)


class Registry:
    """Drivers by scale id; a changed configuration (port, protocol…) restarts the driver."""

    def __init__(self) -> None:
        self._drivers: dict[int, tuple[ScaleConfig, ScaleDriver]] = {}
        self._lock = threading.Lock()

    def driver(self, scale: Any) -> ScaleDriver:
        config = config_of(scale)
        with self._lock:
            known = self._drivers.get(scale.id)
            if known is not None and known[0] == config:
                return known[1]
            if known is not None:
                known[1].close()
            driver = ScaleDriver(config).start()
            self._drivers[scale.id] = (config, driver)
            return driver

    def status(self, scale: Any) -> ScaleStatus:
        return self.driver(scale).status()

    def stable_kg(self, scale: Any, timeout_s: float) -> tuple[Decimal, bytes]:
        """The scale's stable gross in kg and the raw frame it came from, or a clear refusal."""
        driver = self.driver(scale)
        try:
            reading = driver.wait_stable(timeout_s)
        except ScaleTimeout as exc:
            raise Conflict(exc.message, {"scale_id": exc.reason}, **exc.params) from exc
        refusal = check_reading(reading, driver.config)
        if refusal is not None:
            raise Invalid(refusal.message, {"scale_id": refusal.code}, **refusal.params)
        return weight_kg(reading, driver.config), reading.raw

    def close_all(self) -> None:
        with self._lock:
            for _, driver in self._drivers.values():
                driver.close()
            self._drivers.clear()


REGISTRY = Registry()

"""The configuration as the station stores it, and the pure core staying pure."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

from station.models import Scale, ScaleProtocol
from station.scales import ScaleConfig, protocol_for
from station.scales.xk3190 import Xk3190Equals


def test_a_scale_row_becomes_a_config_in_kilograms() -> None:
    row = Scale(
        name_zh="1号地磅",
        protocol=ScaleProtocol.XK3190,
        port="/dev/serial/by-id/usb-FTDI-if00",
        baud=4800,
        parity="N",
        data_bits=8,
        stop_bits=1,
        capacity_kg=60000,
        division_g=20000,
        unit="kg",
    )
    config = ScaleConfig.from_scale(row, variant="reversed", stable_t_s=2.0)
    assert config.protocol == "xk3190"
    assert (config.division_kg, config.capacity_kg) == (Decimal(20), Decimal(60000))
    assert (config.baud, config.variant, config.stable_t_s) == (4800, "reversed", 2.0)
    assert isinstance(protocol_for(config), Xk3190Equals)


def test_the_pure_core_imports_no_flask_database_or_pyserial() -> None:
    code = (
        "import sys, station.scales, station.scales.stability, station.scales.checks;"
        "bad = [m for m in ('flask', 'sqlalchemy', 'serial', 'flask_sqlalchemy')"
        " if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

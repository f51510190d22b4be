"""Software stability (稳定延时) for scales whose frames carry no stability flag.

A weight is stable when, over the last T seconds, at least N readings arrived and every one
of them lies within ±k divisions of the newest, and the detector has watched the scale for
at least T seconds (so the first few readings after start-up or a reconnect never count as
stable). Pure: fed (weight, monotonic time) by the driver.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal


class StabilityDetector:
    """N readings within ±k·e over T seconds (defaults N=5, k=1, T=3 s)."""

    def __init__(self, division_kg: Decimal, n: int = 5, k: int = 1, t_s: float = 3.0) -> None:
        if not division_kg > 0 or n < 1 or k < 0 or t_s < 0:
            raise ValueError("division must be positive, n ≥ 1, k ≥ 0 and t_s ≥ 0")
        self.band = division_kg * k
        self.n = n
        self.t_s = t_s
        self._window: deque[tuple[float, Decimal]] = deque()
        self._since: float | None = None
        self._last_t: float | None = None

    def reset(self) -> None:
        """Forget everything (after a reconnect, or when the scale was re-zeroed)."""
        self._window.clear()
        self._since = None
        self._last_t = None

    def feed(self, weight: Decimal, t: float) -> bool:
        """Add a reading taken at monotonic time `t`; return whether the weight is stable."""
        if self._last_t is not None and t < self._last_t:
            raise ValueError(f"time went backwards: {t} < {self._last_t}")
        self._last_t = t
        if self._since is None:
            self._since = t
        window = self._window
        window.append((t, weight))
        horizon = t - self.t_s
        while window[0][0] < horizon:
            window.popleft()
        if t - self._since < self.t_s or len(window) < self.n:
            return False
        low, high = weight - self.band, weight + self.band
        return all(low <= w <= high for _, w in window)

    @property
    def count(self) -> int:
        """Readings inside the current window."""
        return len(self._window)

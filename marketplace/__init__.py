"""The composition root and web shell, and the market domain.

`create_app` wires every package together; nothing imports `marketplace`.
"""

from marketplace.app import create_app

__all__ = ["create_app"]

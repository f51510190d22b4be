"""The web shell's name for the kernel's schema base (`core.schema`), kept for its many users."""

from core.schema import ID, BaseSchema, decimal_range, max_decimals, refuse_nul_in_url

__all__ = ["ID", "BaseSchema", "decimal_range", "max_decimals", "refuse_nul_in_url"]

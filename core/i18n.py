"""Marking strings for translation without translating them here.

The kernel has no locale: it raises errors whose Chinese message the web shell translates into
the user's language. `N_` marks a message that reaches the user by another route than a domain
error's first argument, so the extractor finds it.
"""


def N_(message: str) -> str:
    """Return `message` unchanged; its only job is to be found by `pybabel extract -k N_`."""
    return message

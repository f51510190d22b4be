"""Who may call a view, declared where the view is written: a rule as data, no web framework.

The rule sits in the kernel so that every package with HTTP endpoints (the web shell, the
station) declares access the same way; the web shell enforces it before each request
(`marketplace.access.enforce`) and puts the signed-in actor in `flask.g` for views that cannot
import the shell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from core.auth import Actor
from core.enums import OrgKind, Role
from core.errors import Unauthorized

F = TypeVar("F", bound=Callable[..., Any])
ALL_KINDS = frozenset(OrgKind)


@dataclass(frozen=True)
class Rule:
    """Who may call a view: anyone, or signed-in users of some organisation kinds and roles."""

    public: bool = False
    kinds: frozenset[OrgKind] = ALL_KINDS
    roles: frozenset[Role] = frozenset(Role)
    # Acts only on the caller's own account (sign-out, own tokens): allowed to read-only users.
    self_service: bool = False

    def admits(self, actor: Actor) -> bool:
        return actor.org_kind in self.kinds and actor.role in self.roles


def access(
    *,
    public: bool = False,
    kinds: Iterable[OrgKind] | None = None,
    roles: Iterable[Role] | None = None,
    self_service: bool = False,
) -> Callable[[F], F]:
    """Declare the rule of a view (put it directly under the route decorator)."""
    rule = Rule(
        public=public,
        kinds=frozenset(kinds) if kinds is not None else ALL_KINDS,
        roles=frozenset(roles) if roles is not None else frozenset(Role),
        self_service=self_service,
    )

    def mark(fn: F) -> F:
        fn.__access__ = rule  # type: ignore[attr-defined]
        return fn

    return mark


def request_actor() -> Actor:
    """The actor of the current request, as the web shell's access hook resolved it."""
    from flask import g

    actor = g.get("actor")
    if actor is None:
        raise Unauthorized("请先登录")
    return actor

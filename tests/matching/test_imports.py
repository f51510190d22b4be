"""matching is a plain library: no Flask, SQLAlchemy or any other package of ours (DESIGN.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import matching

FORBIDDEN = {"flask", "flask_sqlalchemy", "sqlalchemy", "marketplace", "core", "station",
             "passport", "logistics", "werkzeug", "jinja2", "flask_babel"}  # fmt: skip


def test_no_module_of_matching_imports_flask_db_or_our_packages() -> None:
    root = Path(matching.__file__).parent
    files = sorted(root.rglob("*.py"))
    assert len(files) >= 8
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_importing_everything_loads_no_flask_or_sqlalchemy() -> None:
    code = (
        "import sys, matching, matching.evaluate, matching.synthetic\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r}]\n"
        "assert not bad, bad\n"
    )
    root = str(Path(matching.__file__).parent.parent)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)

"""Every `url_for('…')` written in a template or a module names a real endpoint, so a renamed
view cannot leave a page that fails only when someone opens it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LITERAL = re.compile(r"url_for\(\s*['\"]([\w.]+)['\"]")


def test_every_url_for_names_an_endpoint(app) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    sources = [
        *ROOT.glob("marketplace/**/*.html"),
        *ROOT.glob("marketplace/**/*.py"),
        *ROOT.glob("station/**/*.html"),
        *ROOT.glob("station/**/*.py"),
    ]
    unknown = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in sources
        for name in LITERAL.findall(path.read_text(encoding="utf-8"))
        if name not in endpoints
    )
    assert not unknown
    assert len(sources) > 50  # the globs found the sources

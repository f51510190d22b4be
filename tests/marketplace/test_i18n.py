"""Chinese first, English complete: every source string has an English translation.

The msgids are the Chinese strings, so Chinese needs no catalogue; the English catalogue must
translate every one of them, keep their placeholders, and be compiled (`scripts/i18n.sh`).
"""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "marketplace" / "translations" / "en" / "LC_MESSAGES"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "lazy_gettext": None,
    "Invalid": None,
    "NotFound": None,
    "Conflict": None,
    "Forbidden": None,
    "Unauthorized": None,
    "TooManyRequests": None,
    "DomainError": None,
    "_deny": (2,),
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def source_strings() -> set[str]:
    found: set[str] = set()
    for package in ("core", "marketplace", "station", "passport"):
        method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
        for _, _, message, _, _ in extract_from_dir(
            ROOT / package, method_map=method_map, keywords=KEYWORDS
        ):
            text = message[0] if isinstance(message, tuple) else message
            if text and re.search(r"[\u4e00-\u9fff]", text):
                found.add(text)
    return found


def catalogue():
    with (TRANSLATIONS / "messages.po").open("rb") as fh:
        return read_po(fh, locale="en")


def test_every_chinese_string_has_an_english_translation() -> None:
    po = catalogue()
    translated = {m.id: m.string for m in po if m.id and m.string and not m.fuzzy}
    missing = sorted(source_strings() - set(translated))
    assert not missing, f"run scripts/i18n.sh and translate: {missing}"


def test_translations_keep_placeholders() -> None:
    for message in catalogue():
        if message.id and message.string:
            assert sorted(PLACEHOLDER.findall(message.id)) == sorted(
                PLACEHOLDER.findall(message.string)
            ), message.id


def test_compiled_catalogue_matches_the_source() -> None:
    with (TRANSLATIONS / "messages.mo").open("rb") as fh:
        compiled = {m.id: m.string for m in read_mo(fh) if m.id}
    source = {m.id: m.string for m in catalogue() if m.id and m.string and not m.fuzzy}
    assert compiled == source, "run scripts/i18n.sh to compile the catalogue"


def test_english_is_one_click_away(client) -> None:
    zh = client.get("/login").get_data(as_text=True)
    en = client.get("/login?lang=en").get_data(as_text=True)
    assert "登录环链平台" in zh
    assert "登录环链平台" not in en
    assert 'lang="en"' in en
    # the choice sticks for the session
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)

"""Fill empty msgstr entries of the English catalogue from `scripts/translations_en.py`."""

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

sys.path.insert(0, str(Path(__file__).parent))
from translations_en import EN

PO = Path(__file__).resolve().parents[1] / "marketplace/translations/en/LC_MESSAGES/messages.po"

with PO.open("rb") as fh:
    catalog = read_po(fh, locale="en")
for message in catalog:
    if message.id and (not message.string or message.fuzzy) and message.id in EN:
        message.string = EN[message.id]
        message.flags.discard("fuzzy")
with PO.open("wb") as fh:
    write_po(fh, catalog, width=0, sort_by_file=True)

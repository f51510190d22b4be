#!/usr/bin/env bash
# Extract the Chinese source strings, update the English catalogue, compile it, and fail when
# any message is untranslated or fuzzy. Run after adding or changing user-facing strings.
set -euo pipefail
cd "$(dirname "$0")/.."
BABEL=.venv/bin/pybabel
DIR=marketplace/translations
POT=$DIR/messages.pot
PO=$DIR/en/LC_MESSAGES/messages.po
mkdir -p "$DIR"
"$BABEL" extract -F babel.cfg --no-wrap --sort-by-file \
  -k _ -k gettext -k lazy_gettext -k N_ -k Invalid -k NotFound -k Conflict -k Forbidden \
  -k Unauthorized -k TooManyRequests -k DomainError -k _deny:2 \
  --ignore-dirs=".venv .git tests migrations node_modules" --project=huanlian -o "$POT" .
if [ -f "$PO" ]; then
  "$BABEL" update -i "$POT" -d "$DIR" -l en --no-wrap --ignore-obsolete
else
  "$BABEL" init -i "$POT" -d "$DIR" -l en --no-wrap
fi
.venv/bin/python scripts/fill_po.py
.venv/bin/python - "$PO" <<'PY'
import sys
from babel.messages.pofile import read_po
with open(sys.argv[1], "rb") as fh:
    catalog = read_po(fh)
todo = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
if todo:
    print(f"{len(todo)} message(s) untranslated or fuzzy in {sys.argv[1]}:", file=sys.stderr)
    for msgid in todo:
        print("  ", msgid, file=sys.stderr)
    sys.exit(1)
PY
"$BABEL" compile -d "$DIR" --statistics

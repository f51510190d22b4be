#!/usr/bin/env bash
# Extract the Chinese source strings, update (or create) the English catalogue, compile it, and
# fail (exit 1) when any message is untranslated, fuzzy or loses a %(name)s placeholder.
#
#   scripts/i18n.sh            # run after adding or changing user-facing strings
#
# Idempotent: when the sources have not changed, messages.pot / messages.po / messages.mo are
# left byte-for-byte as they were (the POT-Creation-Date alone does not count as a change).
# New strings get their English from scripts/translations_en.py (via scripts/fill_po.py) when
# it has them; otherwise write the msgstr in the .po directly and remove any "#, fuzzy" line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=.venv/bin/python
BABEL=.venv/bin/pybabel
DIR=marketplace/translations
POT=$DIR/messages.pot
LOCALE=en
PO=$DIR/$LOCALE/LC_MESSAGES/messages.po

# gettext-style calls, plus the domain errors whose first argument is a message the web shell
# translates at render time, plus _deny(actor, message, ...) whose message is the 2nd argument.
KEYWORDS=(
  -k _ -k gettext -k lazy_gettext -k N_ -k ngettext:1,2 -k lazy_ngettext:1,2
  -k Invalid -k NotFound -k Conflict -k Forbidden -k Unauthorized -k TooManyRequests
  -k DomainError -k _deny:2
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$DIR"
if ! "$BABEL" extract -F babel.cfg "${KEYWORDS[@]}" \
  --no-wrap --sort-by-file --add-comments=TRANSLATORS: \
  --ignore-dirs=".* _* .venv tests migrations node_modules" \
  --project=huanlian --version=0.1.0 --copyright-holder=Huanlian \
  -o "$tmp/messages.pot" . >"$tmp/extract.log" 2>&1; then
  echo "i18n: FAILED - pybabel extract stopped while $(grep '^extracting messages from' "$tmp/extract.log" | tail -n 1):" >&2
  tail -n 1 "$tmp/extract.log" | sed 's/^/  /' >&2
  exit 1
fi

without_date() { grep -v '^"POT-Creation-Date: ' "$1"; }
if [ -f "$POT" ] && cmp -s <(without_date "$POT") <(without_date "$tmp/messages.pot"); then
  echo "i18n: $POT unchanged"
else
  mv "$tmp/messages.pot" "$POT"
  echo "i18n: wrote $POT"
fi

if [ -f "$PO" ]; then
  "$BABEL" -q update -i "$POT" -d "$DIR" -l "$LOCALE" --no-wrap --ignore-obsolete
else
  "$BABEL" -q init -i "$POT" -d "$DIR" -l "$LOCALE" --no-wrap
fi

# Optional seed table of English strings (fills only empty or fuzzy entries).
if [ -f scripts/fill_po.py ] && [ -f scripts/translations_en.py ]; then
  "$PYTHON" scripts/fill_po.py
fi

status=0
# Compile even when something is missing, so the .mo always matches what the .po translates
# (untranslated and fuzzy entries are left out and fall back to the Chinese source).
"$BABEL" compile -d "$DIR" -l "$LOCALE" --statistics || status=1

"$PYTHON" - "$PO" <<'PY' || status=1
import re
import sys

from babel.messages.pofile import read_po

path = sys.argv[1]
with open(path, "rb") as fh:
    catalog = read_po(fh, locale="en")

placeholder = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
problems = []
if catalog.fuzzy:
    problems.append(("fuzzy", "(header)", "the catalogue header is marked fuzzy"))
for message in catalog:
    if not message.id:
        continue
    where = " ".join(f"{f}:{n}" for f, n in message.locations[:2]) or "?"
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if not all(strings):
        problems.append(("untranslated", where, msgid))
    elif message.fuzzy:
        problems.append(("fuzzy", where, msgid))
    elif isinstance(message.id, str):
        if sorted(placeholder.findall(message.string)) != sorted(placeholder.findall(msgid)):
            problems.append(("placeholders", where, msgid))
    else:  # plural forms: each form may drop the count, but must not invent placeholders
        allowed = set(placeholder.findall(message.id[0] + message.id[1]))
        if any(not set(placeholder.findall(s)) <= allowed for s in strings):
            problems.append(("placeholders", where, msgid))

total = sum(1 for m in catalog if m.id)
if problems:
    print(f"\ni18n: FAILED - {len(problems)} of {total} message(s) in {path} need attention:",
          file=sys.stderr)
    for kind, where, msgid in problems:
        print(f"  {kind:<13} {where:<45} {msgid}", file=sys.stderr)
    print("Write the English msgstr (same %(name)s placeholders) in the .po or in "
          "scripts/translations_en.py, delete '#, fuzzy' lines you have checked, "
          "then re-run scripts/i18n.sh.", file=sys.stderr)
    sys.exit(1)
print(f"i18n: OK - {total} messages, 0 untranslated, 0 fuzzy")
PY

exit "$status"

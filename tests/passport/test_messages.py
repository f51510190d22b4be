"""Every Chinese string of the passport package has English in ``problems.ENGLISH``.

The web catalogue (``scripts/i18n.sh``) does not extract ``passport/`` yet; until it does, the
package carries its own English so the offline verifier speaks both and nothing is missed.
"""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from passport.problems import ENGLISH

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {
    "_": None,
    "N_": None,
    "Invalid": None,
    "Conflict": None,
    "DomainError": None,
    "MalformedIdentifier": None,
    "_malformed": None,
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_every_chinese_message_has_english_with_the_same_placeholders() -> None:
    found = {
        message
        for _, _, message, _, _ in extract_from_dir(
            ROOT / "passport", method_map=[("**.py", "python")], keywords=KEYWORDS
        )
        if isinstance(message, str) and re.search(r"[\u4e00-\u9fff]", message)
    }
    assert len(found) > 40
    missing = sorted(found - set(ENGLISH))
    assert not missing, missing
    for chinese, english in ENGLISH.items():
        assert sorted(PLACEHOLDER.findall(chinese)) == sorted(PLACEHOLDER.findall(english)), chinese

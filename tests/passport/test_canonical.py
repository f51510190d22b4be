"""The fast canonical-JSON path writes exactly what the RFC 8785 reference (``rfc8785``) writes."""

import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import Invalid
from passport.canonical import canonical

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(values)
def test_the_fast_path_equals_the_reference(value) -> None:
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        with pytest.raises(Invalid):
            canonical(value)
        return
    assert canonical(value) == expected


def test_known_edges() -> None:
    for value in [
        1478.0,
        1e21,
        1e-7,
        0.1,
        -0.0,
        2**53 - 1,
        "\u2028\x7f\x00",
        {"é": 1, "e": 2, "\U0001f600": 3, "\ufb01": 4},
    ]:
        assert canonical(value) == rfc8785.dumps(value), value
    assert canonical(json.loads('{"b": [1.50, 2], "a": "x"}')) == b'{"a":"x","b":[1.5,2]}'

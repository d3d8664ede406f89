"""Where a link points, as the checks compute it: the same path as normpath(join(dirname)))."""

from __future__ import annotations

import os

from hypothesis import given
from hypothesis import strategies as st

from ytm_doctor.context import Context

# Paths built from the pieces that make normalising hard: separators, dots, a long name.
piece = st.sampled_from(["/", "//", "a", "b", ".", "..", "x.y", " ", "é"])
path = st.lists(piece, max_size=8).map("".join)


@given(link=path, target=path)
def test_a_links_target_is_normpath_of_join_of_its_folder(link: str, target: str) -> None:
    expected = os.path.normpath(os.path.join(os.path.dirname(link), target))
    # The method reads nothing of the context.
    assert Context.link_target_abs(None, link, target) == expected  # type: ignore[arg-type]

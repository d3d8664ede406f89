"""paths.is_under: the one "is this path inside that root" test (executor, context, mount)."""

from __future__ import annotations

import pytest

from ytm_doctor.paths import is_under


@pytest.mark.parametrize(
    ("path", "root", "inside"),
    [
        ("/srv/share", "/srv/share", True),
        ("/srv/share/a/b", "/srv/share", True),
        ("/srv/share/a", "/srv/share/", True),
        ("/srv/shared", "/srv/share", False),  # a sibling sharing a prefix is outside
        ("/srv", "/srv/share", False),
        ("/anything", "/", True),
        ("/", "/", True),
    ],
)
def test_is_under(path: str, root: str, inside: bool) -> None:
    assert is_under(path, root) is inside

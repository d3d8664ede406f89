"""Hashing never reads through a link: a link to a file is not a second copy of its bytes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ytm_doctor.hashing import HashCache, sha256_file, sha256_of


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="the platform cannot refuse links")
def test_a_link_is_refused_not_followed(tmp_path: Path) -> None:
    stored = tmp_path / "stored.wav"
    stored.write_bytes(b"RIFF the only copy")
    link = tmp_path / "local.wav"
    link.symlink_to(stored)
    digest, _ = sha256_of(str(stored))
    assert digest == sha256_file(stored)
    with pytest.raises(OSError):
        sha256_of(str(link))
    with pytest.raises(OSError):
        HashCache().sha256(str(link), fresh=True)

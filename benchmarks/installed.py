"""The checkout installed the way users install it, for the benchmarks to time.

A development checkout is an editable install (`pip install -e .`): Python finds the package
through setuptools' import hook, which costs every start of the tool some 20 ms and every
import of one of its modules a lookup more. No user runs that. So the start-up and mirror
benchmarks (where start-up is a large share) time a copy made by `pip install --target DIR .`,
put first on PYTHONPATH, with this interpreter and its installed dependencies. (The editable
install's own .pth still loads its hook at start; `python -c pass`, the start-up floor, pays
that too.) When no copy
can be made (pip cannot build one here: no setuptools/wheel to be had), they say so and time
the editable checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def installed_env(base: Path, env: dict[str, str]) -> tuple[dict[str, str], str]:
    """(env running an installed copy of the checkout, a line saying what is timed)."""
    target = base / "installed"
    source = _clean_copy(base / "source")
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--upgrade"]
    cmd += ["--no-warn-script-location", "--target", str(target), str(source)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    shutil.rmtree(base / "source", ignore_errors=True)
    if done.returncode != 0 or not (target / "ytm_doctor" / "__init__.py").is_file():
        why = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return env, f"the editable checkout (no installed copy could be made: {why})"
    path = os.pathsep.join(p for p in (str(target), env.get("PYTHONPATH", "")) if p)
    return dict(env, PYTHONPATH=path), f"an installed copy (pip install --target {target})"


def _clean_copy(dest: Path) -> Path:
    """The checkout's files as git sees them (tracked, and new ones not ignored), copied to
    `dest`: pip builds in the source tree, and a build/ left from an older checkout there could
    put modules that no longer exist into the copy. The checkout itself without git."""
    listed = subprocess.run(
        [
            "git",
            "-C",
            str(CHECKOUT),
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        return CHECKOUT
    shutil.rmtree(dest, ignore_errors=True)
    for name in filter(None, listed.stdout.split(b"\0")):
        src = CHECKOUT / os.fsdecode(name)
        if src.is_file():
            (dest / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / os.fsdecode(name))
    return dest

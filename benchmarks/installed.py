"""The checkout installed the way users install it, for the benchmarks to time.

A development checkout is an editable install (`pip install -e .`): Python finds the package
through setuptools' import hook, which costs every start of the tool some 20 ms and every
import of one of its modules a lookup more. No user runs that. So the start-up and mirror
benchmarks (where start-up is a large share) time a copy made by `pip install --target DIR .`,
put first on PYTHONPATH, with this interpreter and its installed dependencies. When no copy
can be made (pip cannot build one here: no setuptools/wheel to be had), they say so and time
the editable checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def installed_env(base: Path, env: dict[str, str]) -> tuple[dict[str, str], str]:
    """(env running an installed copy of the checkout, a line saying what is timed)."""
    target = base / "installed"
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--upgrade"]
    cmd += ["--no-warn-script-location", "--target", str(target), str(CHECKOUT)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not (target / "ytm_doctor" / "__init__.py").is_file():
        why = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return env, f"the editable checkout (no installed copy could be made: {why})"
    path = os.pathsep.join(p for p in (str(target), env.get("PYTHONPATH", "")) if p)
    return dict(env, PYTHONPATH=path), f"an installed copy (pip install --target {target})"

"""Secrets stay secret: the webhook URL (a secret setting: its path is its token) and any URL's
user:password never reach a report (JSON, HTML, SARIF, JUnit), a journal, the audit log, the
share (`--publish`), a lock, stdout or stderr, whichever way they were given.

Each URL is given on the command line, then every file of the tmp tree and everything printed
is searched for the secret. There is no network: the webhook post fails, and its error line is
searched too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

TOKEN_URL = "https://hooks.example/services/T000/B000/SECRETTOKEN"
USERINFO_URL = "https://user:hunter2@hooks.example/x"
SECRETS = ("SECRETTOKEN", "hunter2")
EXIT_CODES = {0, 1, 2, 4, 5}  # never 3 (internal error)
DANGLING = "ws/video/input/CH01/bgm"  # a dangling video/input link: YTM301, fixable


def files_holding(root: Path, needles: tuple[str, ...]) -> list[str]:
    """Every file under root (links not followed) whose bytes contain one of the needles."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + dirnames:
            path = os.path.join(dirpath, name)
            if any(n in name for n in needles):
                found.append(path)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as fh:
                data = fh.read()
            found += [f"{path}: {n}" for n in needles if n.encode() in data]
    return found


@pytest.fixture
def broken(world):
    link = world.root / DANGLING
    link.parent.mkdir(parents=True)
    os.symlink("../../../missing/bgm", link)
    return world


@pytest.mark.parametrize("url", [TOKEN_URL, USERINFO_URL], ids=["token", "userinfo"])
def test_webhook_url_is_never_written_nor_printed(broken, cli, tmp_path, url) -> None:
    world = broken
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    set_url = ["--set", f"notify.webhook_url={url}"]
    runs = [
        # A saving scan with new violations: the webhook is posted to (and fails: no network).
        [*set_url, "--sarif", out_dir / "scan.sarif", "--junitxml", out_dir / "junit.xml"],
        [f"--set=notify.webhook_url={url}", "--html", out_dir / "extra.html", "--publish"],
        ["fix", *set_url],
        ["fix", "--run", *set_url],
        ["config", *set_url],
        ["config", "--json", *set_url],
        ["--json", "--no-save", *set_url],
        [
            "schedule",
            "install",
            "--every",
            "10m",
            "--platform",
            "linux",
            "--unit-dir",
            out_dir / "units",
            *set_url,
        ],
    ]
    printed = []
    for argv in runs:
        res = cli(*argv)
        assert res.code in EXIT_CODES, (argv, res.err)
        assert "Traceback" not in res.err
        printed.append((argv, res.out + res.err))
    [run_line] = [ln for ln in printed[3][1].splitlines() if ln.startswith("undo:")]
    res = cli("undo", run_line.split()[3], "--run", *set_url)
    assert res.code in EXIT_CODES, res.err
    printed.append(("undo", res.out + res.err))

    # The scans did what they were asked, so the searched files are really there.
    assert (world.share / "_reports").is_dir()
    assert list(world.report_dir.glob("journal__*.jsonl"))
    assert (world.report_dir / "audit.jsonl").is_file()
    assert (out_dir / "scan.sarif").is_file() and (out_dir / "junit.xml").is_file()
    latest = json.loads((world.report_dir / "latest.json").read_text(encoding="utf-8"))
    assert "--set=notify.webhook_url=***" in latest["run"]["argv"]
    # The failed post said so, without the secret.
    assert any("webhook https://hooks.example/" in text for _, text in printed[:2])
    # `config` names the host only.
    assert "https://hooks.example/... (hidden)" in printed[4][1]

    assert files_holding(tmp_path, SECRETS) == []
    for argv, text in printed:
        for secret in SECRETS:
            assert secret not in text, (argv, text)


def test_a_webhook_url_from_the_config_file_is_never_copied(broken, cli, tmp_path) -> None:
    broken.configure(notify={"webhook_url": USERINFO_URL})
    config_text = broken.config_file.read_bytes()
    printed = [cli().err, cli("config").out, cli("fix", "--run").out, cli("--publish").err]
    broken.config_file.write_text("")  # the one file that may hold it: its owner put it there
    assert files_holding(tmp_path, SECRETS) == []
    assert not any("hunter2" in text for text in printed)
    assert b"hunter2" in config_text


def test_a_password_in_a_bad_url_is_not_repeated_in_the_error(world, cli) -> None:
    for value in ("ftp://user:hunter2@hooks.example/x", "https://user:hunter2@[::1/x", "12345"):
        res = cli("config", "--set", f"notify.webhook_url={value}")
        assert res.code == 4, res.err
        [line] = res.err_lines
        assert "notify.webhook_url must be an http(s) URL" in line
        assert "hunter2" not in line and "12345" not in line
    # A mistyped key: the value (which may be the secret) is not repeated either.
    res = cli("--set", f"notify.webhook=${TOKEN_URL}")
    assert res.code == 4 and "SECRETTOKEN" not in res.err
    assert "did you mean notify.webhook_url?" in res.err

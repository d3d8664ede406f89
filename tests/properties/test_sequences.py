"""Property (the content rule across commands): for generated worlds and random sequences of
`fix` (with and without a selection), `mirror`, `store` (plain, --move, --symlink-back, the
episode form), `store flush-outbox`, the share going down and coming back, and `undo` of any
earlier run, after EVERY step

  * every content (SHA-256 of a regular file) that existed anywhere in the world before the step
    still exists somewhere in it (the tool's own backup folders count: they are kept copies),
    stand-ins and the tool's bookkeeping aside (see `exempt`), and what an undone run itself
    brought into the world (see `check_step`); a person's own edit of a Hot file is not checked;
  * nothing outside the roots changed: `outside/` and the fake home hash the same, and nothing
    new appeared beside the roots;
  * the command did not crash (exit 3, "internal error", a traceback); refusing (exit 1 or 4)
    is fine.

Each example builds its own tree under tempfile.mkdtemp() (fresh state per example; no pytest
fixture is shared between examples):

    base/ws/        the Hot workspace           base/share/    the share (Vault, store, assets)
    base/outbox/    the fallback root           base/outside/  a sibling no root contains
    base/home/      HOME and XDG_* while a command runs, so a per-user write would show here
    base/ytm-doctor.yaml

and runs the real command line in process (`ytm_doctor.cli.main`) with the real rsync.

Examples: 200 by default, YTM_PROPERTY_EXAMPLES=N for more (or fewer). Read at import time:
the autouse fixture of tests/conftest.py removes every YTM_* variable before a test runs.
The rarer interplays need thousands (YTM_PROPERTY_EXAMPLES=3000: minutes); a sequence found so
is kept as an @example, replayed on every run. TMPDIR on a tmpfs makes an example faster still.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, event, example, given, note, settings
from hypothesis import strategies as st
from treehash import snapshot

from ytm_doctor.cli import main
from ytm_doctor.fixers.placeholder_thumbnail import placeholder_png

pytestmark = pytest.mark.skipif(shutil.which("rsync") is None, reason="the mirror needs rsync")

EXAMPLES = int(os.environ.get("YTM_PROPERTY_EXAMPLES", "200"))
NS = "factory_commentary"
OFFLINE = "share.offline"  # where the real share waits while it is unmounted (not a root)
ROOT_ENTRIES = {"ws", "share", OFFLINE, "outbox", "outside", "home", "ytm-doctor.yaml"}
MARKER = "README_MOUNTPOINT.txt"
JOURNAL_RE = re.compile(r"^journal__(.+)\.jsonl$")

# ---------------------------------------------------------------------------------------------
# What the invariant does not hold the tool to, and why
# ---------------------------------------------------------------------------------------------

# The grey placeholder PNG is a stand-in the placeholder-thumbnail fixer regenerates from code
# (always the same bytes); replacing it by a real image later is the point of it.
PLACEHOLDER_SHA = hashlib.sha256(placeholder_png()).hexdigest()
STAND_IN_NAMES = {
    # materialize-input's explanation in an empty fallback dir: generated text with a stamp,
    # a stand-in for the link's target, which the link kept aside still names.
    "README_OFFLINE_FALLBACK.txt",
    # The stub marker: this test writes it (share down) and removes it (share back) itself.
    "README_MOUNTPOINT.txt",
    # The Vault sentinel is the tool's bookkeeping (bootstrap-sentinel rewrites it).
    ".ytm_vault_workspaces_root.json",
}
# The tool's bookkeeping, wherever it lies (Hot, the Vault's mirrored copy of Hot, a mirror
# backup folder): journals and the audit log grow by appending (the old bytes of the file are
# gone by design), reports and latest.json are rewritten, lock files come and go, mirror run
# logs are written per run. Its backups/ folder is NOT bookkeeping: it holds the user's bytes.
BOOKKEEPING = re.compile(r"(^|/)logs/ops/(ytm_doctor/(?!backups/)[^/]+|workspaces_mirror/[^/]+)$")


def exempt(rel: str, digest: str) -> bool:
    """Whether content found at `rel` (relative to the world's base) before a step may be gone
    after it. Everything else is user content: some copy of it must survive every step."""
    return (
        digest == PLACEHOLDER_SHA
        or rel.rsplit("/", 1)[-1] in STAND_IN_NAMES
        or BOOKKEEPING.search(rel) is not None
    )


def contents(base: Path) -> dict[str, list[str]]:
    """SHA-256 -> the paths (relative to base) of every regular file under the roots; links are
    never followed (a link is not a copy)."""
    found: dict[str, list[str]] = {}
    for top in ("ws", "share", OFFLINE, "outbox"):
        for folder, _dirs, files in os.walk(base / top):
            for name in files:
                path = os.path.join(folder, name)
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    continue
                with open(path, "rb") as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
                found.setdefault(digest, []).append(os.path.relpath(path, base))
    return found


# ---------------------------------------------------------------------------------------------
# Generated worlds
# ---------------------------------------------------------------------------------------------

EPISODES = [("CH02", "012"), ("CH01", "003")]

episode_specs = st.fixed_dictionaries(
    {
        "published": st.booleans(),
        "wav": st.booleans(),
        "srt": st.booleans(),
        "script": st.booleans(),
        # The selected thumbnail of projects.json: on Hot, referenced but missing (YTM801's
        # placeholder), or not referenced at all.
        "thumb": st.sampled_from(["hot", "missing", "none"]),
        # What the Vault has of the thumbnail: nothing, Hot's bytes (mirrored before), or a real
        # image of its own (the Vault's only copy when Hot's is missing).
        "vault_thumb": st.sampled_from(["none", "same", "own"]),
        # What the Vault has at the final audio's path: nothing, an older take (a mirror
        # overwrites it), or a directory with a file inside (a mirror replaces a dir by a file).
        "vault_wav": st.sampled_from(["none", "old", "dir"]),
        # Hot's video/input/<CH>/<EP>: none, an absolute link into the share's asset_vault
        # (YTM403), a link whose target is gone (YTM301), or a link to the Vault's own real
        # directory at the same place (materialize-input copies it, or leaves an empty
        # fallback dir while the share is down, which a later mirror sends).
        "input": st.sampled_from(["none", "asset", "dangling", "vault_dir"]),
        # The Vault's video/input/<CH>/<EP>: none, a portable (relative) link into asset_vault,
        # an absolute one (YTM202), a real directory with an input of its own, or a plain file
        # (where Hot may come to have a directory).
        "vault_input": st.sampled_from(["none", "portable", "absolute", "dir", "file"]),
    }
)

worlds = st.fixed_dictionaries(
    {
        "episodes": st.lists(episode_specs, min_size=1, max_size=2),
        # A file only the Vault has, outside the protected subtrees: a delete-sync removes it.
        "vault_only": st.booleans(),
        # Distinguishes the bytes of one example from another's (and from the placeholder).
        "salt": st.binary(min_size=1, max_size=4),
    }
)


# The simplest world and episode, for the explicit examples to change what matters to them.
PLAIN_EPISODE = {
    "published": False,
    "wav": False,
    "srt": False,
    "script": False,
    "thumb": "none",
    "vault_thumb": "none",
    "vault_wav": "none",
    "input": "none",
    "vault_input": "none",
}
PLAIN_WORLD = {"vault_only": False, "salt": b"\0"}


def build(base: Path, spec: dict) -> list[tuple[str, str]]:
    """The world of `spec` under base; the (channel, video) of each episode."""
    ws, share = base / "ws", base / "share"
    vault = share / "ytm_workspaces"
    salt = spec["salt"].hex()

    def put(path: Path, data: str | bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)

    for d in (
        ws / "video/runs",
        ws / "logs/ops",
        vault / "planning",
        vault / "thumbnails/assets",
        vault / "video/runs",
        share / "asset_vault",
        share / f"uploads/{NS}",
        base / "outbox",
        base / "home",
    ):
        d.mkdir(parents=True, exist_ok=True)
    put(vault / ".ytm_vault_workspaces_root.json", json.dumps({"namespace": NS}))
    put(base / "outside/keep.txt", "not yours")
    put(base / "outside/nested/.hidden", b"\0outside")

    projects, made = [], []
    for (ch, video), ep in zip(EPISODES, spec["episodes"], strict=False):
        made.append((ch, video))
        eid = f"{ch}-{video}"
        put(ws / f"scripts/{ch}/{video}/status.json", json.dumps({"publish_lock": ep["published"]}))
        # Two runs: the newest is the adopted one, the older one is what `archive runs` moves.
        for stamp in ("20260101T000000Z", "20260102T000000Z"):
            put(
                ws / f"video/runs/{eid}__{stamp}/remotion/output/final.mp4", f"{eid} {stamp} {salt}"
            )
        if ep["script"]:
            put(ws / f"scripts/{ch}/{video}/content/assembled_human.md", f"# {eid} {salt}\n")
        if ep["wav"]:
            put(ws / f"audio/final/{ch}/{video}/{eid}.wav", f"RIFF {eid} {salt}")
        if ep["srt"]:
            put(ws / f"audio/final/{ch}/{video}/{eid}.srt", f"1\n00:00:00,000 {eid} {salt}\n")
        vault_wav = vault / f"audio/final/{ch}/{video}/{eid}.wav"
        if ep["vault_wav"] == "old":
            put(vault_wav, f"RIFF old take {eid} {salt}")
        elif ep["vault_wav"] == "dir":
            put(vault_wav / "take1.wav", f"RIFF a take in a dir {eid} {salt}")
        image = f"{ch}/{video}/v1/00_thumb.png"
        hot_png = f"\x89PNG {eid} hot {salt}"
        if ep["thumb"] != "none":
            projects.append(
                {
                    "channel": ch,
                    "video": video,
                    "selected_variant_id": "v1",
                    "variants": [{"id": "v1", "image_path": image}],
                }
            )
        if ep["thumb"] == "hot":
            put(ws / "thumbnails/assets" / image, hot_png)
        if ep["vault_thumb"] == "same" and ep["thumb"] == "hot":
            put(vault / "thumbnails/assets" / image, hot_png)
        elif ep["vault_thumb"] != "none":
            put(vault / "thumbnails/assets" / image, f"\x89PNG {eid} vault's own {salt}")
        inputs = f"video/input/{ch}/{eid}"
        assets = share / f"asset_vault/inputs/{eid}"
        if ep["input"] == "asset" or ep["vault_input"] in ("portable", "absolute"):
            put(assets / "0001.png", f"input {eid} {salt}")
        vault_input = "dir" if ep["input"] == "vault_dir" else ep["vault_input"]
        if vault_input == "dir":
            put(vault / inputs / "0002.png", f"the Vault's input {eid} {salt}")
        elif vault_input == "file":
            put(vault / inputs, f"a file where a dir may come {eid} {salt}")
        elif vault_input != "none":
            (vault / inputs).parent.mkdir(parents=True, exist_ok=True)
            target = (
                assets if vault_input == "absolute" else f"../../../../asset_vault/inputs/{eid}"
            )
            os.symlink(target, vault / inputs)
        if ep["input"] != "none":
            (ws / inputs).parent.mkdir(parents=True, exist_ok=True)
            target = {
                "asset": assets,
                "dangling": share / f"asset_vault/inputs/gone_{eid}",
                "vault_dir": vault / inputs,
            }[ep["input"]]
            os.symlink(target, ws / inputs)
    if projects:
        put(ws / "thumbnails/projects.json", json.dumps({"projects": projects}))
    if spec["vault_only"]:
        put(vault / "notes/only_on_the_vault.txt", f"the Lenovo side wrote this {salt}")

    put(
        base / "ytm-doctor.yaml",
        json.dumps(
            {
                "workspace_root": str(ws),
                "shared_storage": {
                    "root": str(share),
                    "require_mount": False,  # a plain dir is the mounted share
                    "fallback_root": str(base / "outbox"),
                },
                "disk": {"warn_free_gib": 0, "stop_free_gib": 0},
            }
        ),
    )
    return made


# ---------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------

# Fixable codes and prefixes a person would select (YTM703 is the mirror, YTM7 all the store's).
FIX_CODES = ["YTM2", "YTM301", "YTM403", "YTM405", "YTM7", "YTM701", "YTM703", "YTM705", "YTM801"]
# Which file of an episode `store --src` names (it may be gone or a link by then: a refusal).
SRC_KINDS = ["wav", "srt", "script", "thumb"]
MODES = ["plain", "--move", "--symlink-back"]

STEPS = {
    "fix": st.tuples(st.just("fix"), st.none() | st.sampled_from(FIX_CODES), st.booleans()),
    "mirror": st.tuples(st.just("mirror")),
    "store": st.tuples(
        st.just("store"),
        st.integers(0, 1),
        st.sampled_from(SRC_KINDS),
        st.sampled_from(MODES),
        st.booleans(),
    ),
    "store-episode": st.tuples(
        st.just("store-episode"), st.integers(0, 1), st.sampled_from(MODES), st.booleans()
    ),
    "flush-outbox": st.tuples(st.just("flush-outbox")),
    # Archive every run the guards let go (none kept for being recent or among the newest), put
    # the newest archive back, reclaim published episodes' space against their stored copies.
    "archive": st.tuples(st.just("archive")),
    "restore": st.tuples(st.just("restore")),
    "reclaim": st.tuples(st.just("reclaim")),
    # The share goes down: with False only the stub marker appears (as `stub_share()` of
    # tests/fixers/conftest.py), with True the mount goes away too, as it really does: the
    # share's files are out of reach (kept aside in base/share.offline) and an empty stub
    # directory with the marker stands at the mount point.
    "share-down": st.tuples(st.just("share-down"), st.booleans()),
    "share-up": st.tuples(st.just("share-up")),
    # A person saves a new version of a Hot file (a re-recorded take, a new thumbnail): what
    # was at that path, a file or a --symlink-back link, is replaced (never written through).
    "edit": st.tuples(st.just("edit"), st.integers(0, 1), st.sampled_from(SRC_KINDS)),
    # Undo of the latest run (the usual undo), or of the n-th run so far (modulo their number;
    # undo runs included, which is refused).
    "undo": st.tuples(st.just("undo"), st.just(-1)) | st.tuples(st.just("undo"), st.integers(0, 7)),
}


# 2 to 6 steps: one step alone is rarely interesting, and more cost more than they find.
sequences = st.lists(st.one_of(list(STEPS.values())), min_size=2, max_size=6)


def src_of(ch: str, video: str, kind: str) -> str:
    eid = f"{ch}-{video}"
    return {
        "wav": f"audio/final/{ch}/{video}/{eid}.wav",
        "srt": f"audio/final/{ch}/{video}/{eid}.srt",
        "script": f"scripts/{ch}/{video}/content/assembled_human.md",
        "thumb": f"thumbnails/assets/{ch}/{video}/v1/00_thumb.png",
    }[kind]


def run_ids(base: Path) -> list[str]:
    """Journaled runs, in no useful order: run ids of one second differ by a random suffix."""
    folder = base / "ws/logs/ops/ytm_doctor"
    if not folder.is_dir():
        return []
    return sorted(m.group(1) for p in folder.iterdir() if (m := JOURNAL_RE.match(p.name)))


def argv_for(
    base: Path, episodes: list[tuple[str, str]], step: tuple, number: int, runs: list[str]
) -> list[str] | None:
    """The command line of step `number`, or None for a step the test does itself (or a
    no-op: undo before any run). `runs`: the journaled runs so far, in the order they ran."""
    override = ["--allow-unposted", "--reason", "property test"]
    kind = step[0]
    if kind == "fix":
        _, code, unposted = step
        return ["fix", *(["--select", code] if code else []), "--run", *(override * unposted)]
    if kind == "mirror":
        return ["mirror", "--run"]
    if kind == "store":
        _, index, src, mode, unposted = step
        ch, video = episodes[index % len(episodes)]
        path = str(base / "ws" / src_of(ch, video, src))
        return ["store", "--src", path, *([mode] if mode != "plain" else []), "--run"] + (
            override * unposted
        )
    if kind == "store-episode":
        _, index, mode, unposted = step
        ch, video = episodes[index % len(episodes)]
        args = ["store", "episode", "--channel", ch, "--video", video]
        return [*args, *([mode] if mode != "plain" else []), "--run", *(override * unposted)]
    if kind == "flush-outbox":
        return ["store", "flush-outbox", "--run"]
    if kind == "archive":
        guards = ["--keep-recent-minutes", "0", "--keep-last-runs", "0"]
        return ["archive", "runs", "--all", *guards, "--run"]
    if kind == "restore":
        reports = sorted((base / "ws/video/_archive").glob("*/archive_report.json"))
        return ["restore", "runs", "--report", str(reports[-1]), "--run"] if reports else None
    if kind == "reclaim":
        return ["reclaim", "--run"]
    if kind == "undo":
        return ["undo", runs[step[1] % len(runs)], "--run"] if runs else None
    share, offline = base / "share", base / OFFLINE
    if kind == "edit":
        _, index, src = step
        path = base / "ws" / src_of(*episodes[index % len(episodes)], src)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.is_file():
            path.unlink()
        path.write_bytes(f"take {number} of {src}".encode())
    elif kind == "share-down" and not offline.exists():
        if step[1]:
            share.rename(offline)
            share.mkdir()
        (share / MARKER).write_text("the share is not mounted here\n")
    elif kind == "share-up":
        if offline.exists():
            # README: nothing is written into the share while it is a stub or unmounted.
            assert os.listdir(share) == [MARKER], f"written into the stub: {os.listdir(share)}"
            shutil.rmtree(share)
            offline.rename(share)
        (share / MARKER).unlink(missing_ok=True)
    return None


@contextlib.contextmanager
def inside(base: Path) -> Iterator[None]:
    """The command's process state: cwd = base, HOME and XDG dirs in base/home (so a per-user
    write lands where this test sees it), the debug switch on (a traceback in stderr)."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    home = str(base / "home")
    os.environ.update(
        HOME=home,
        XDG_DATA_HOME=f"{home}/.local/share",
        XDG_CONFIG_HOME=f"{home}/.config",
        XDG_CACHE_HOME=f"{home}/.cache",
        XDG_STATE_HOME=f"{home}/.local/state",
        YTM_DOCTOR_DEBUG="1",
    )
    for name in [n for n in os.environ if n.startswith("YTM_") and n != "YTM_DOCTOR_DEBUG"]:
        del os.environ[name]
    os.chdir(base)
    # fsync makes a write durable across a power cut; this property is about which bytes
    # exist after each step of a process that did not crash, and durability has tests of its
    # own (tests/core/test_atomic.py, the SIGKILL tests). Without it an example costs a third.
    real_fsync = os.fsync
    os.fsync = lambda fd: None
    try:
        yield
    finally:
        os.fsync = real_fsync
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def cli(base: Path, argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with inside(base), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*argv, "--config", str(base / "ytm-doctor.yaml")])
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------------------------------------
# The property
# ---------------------------------------------------------------------------------------------


def check_step(
    base: Path, before: dict[str, list[str]], what: str, undone: set[str]
) -> dict[str, list[str]]:
    """The content invariant across one step; the contents after it. `undone`: what the run
    this step undoes brought into the world (content that existed nowhere before that run,
    such as its store manifests): undo removes what a fix created, so that may go again."""
    after = contents(base)
    lost = {
        digest: paths
        for digest, paths in before.items()
        if digest not in after
        and digest not in undone
        and not all(exempt(p, digest) for p in paths)
    }
    assert not lost, f"{what}: content lost, it was only at: " + "; ".join(
        ", ".join(p for p in paths if not exempt(p, d)) for d, paths in lost.items()
    )
    return after


def play(
    spec: dict,
    sequence: list[tuple],
    log: Callable[[str], object] = note,
    count: Callable[[str], object] = event,
) -> None:
    """Build the world of `spec`, run `sequence`, check after every step. `log` gets each
    step's transcript (shown with a failing example), `count` a label of what each command
    did (--hypothesis-show-statistics); both are hypothesis' outside a plain call."""
    base = Path(tempfile.mkdtemp(prefix="ytm-sequences-"))
    try:
        episodes = build(base, spec)
        outside = snapshot(base / "outside"), snapshot(base / "home")
        before = contents(base)
        born: dict[str, set[str]] = {}  # run id -> content that first appeared in its step
        runs: list[str] = []  # in the order they ran: an undo step names one by its place
        for number, step in enumerate(sequence, 1):
            argv = argv_for(base, episodes, step, number, runs)
            what = f"step {number} {step}"
            if argv is not None:
                what = f"step {number}: ytm-doctor {' '.join(argv)}"
                code, out, err = cli(base, argv)
                log(f"{what} -> exit {code}\n{out}{err}")
                count(f"{step[0]} exit {code}")
                assert code in (0, 1, 4), f"{what}: exit {code}\n{out}{err}"
                assert "internal error" not in err and "Traceback" not in err, f"{what}\n{err}"
            undone = born.get(argv[1], set()) if argv and argv[0] == "undo" else set()
            # An edit is the person's own replacement of a Hot file, not the tool's: the old
            # bytes may go (a copy elsewhere is only a bonus); the check starts again from here.
            after = contents(base) if step[0] == "edit" else check_step(base, before, what, undone)
            for run in sorted(set(run_ids(base)) - set(runs)):
                born[run] = after.keys() - before.keys()
                runs.append(run)
            before = after
            assert (snapshot(base / "outside"), snapshot(base / "home")) == outside, what
            assert set(os.listdir(base)) <= ROOT_ENTRIES, (what, os.listdir(base))
    finally:
        shutil.rmtree(base, ignore_errors=True)


@settings(
    max_examples=EXAMPLES,
    deadline=None,  # rsync and the real disk: no per-example time limit
    # No "explain" phase: it re-runs a failing case hundreds of times (over a minute here) to
    # say which parts vary; the shrunk sequence and its transcript say enough.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    # The autouse fixture of tests/conftest.py only clears YTM_* variables: the same for every
    # example, so sharing it across examples is harmless; each example builds its own world.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(spec=worlds, sequence=sequences)
# Sequences that lost content before, replayed every time (the explicit phase):
# a placeholder on Hot, then a mirror over the Vault's real thumbnail (kept now in
# <share>/ytm_mirror_backups/<run>/), then undo of the mirror (puts it back) ...
@example(
    spec={"episodes": [{**PLAIN_EPISODE, "thumb": "missing", "vault_thumb": "own"}], **PLAIN_WORLD},
    sequence=[("fix", "YTM801", False), ("mirror",), ("undo", -1)],
)
# ... an offline fallback dir in place of Hot's link to the Vault's input dir, then a mirror
# (which deletes the Vault's inputs inside it: kept in the mirror's backups) ...
@example(
    spec={"episodes": [{**PLAIN_EPISODE, "input": "vault_dir"}], **PLAIN_WORLD},
    sequence=[("share-down", True), ("fix", None, False), ("share-up",), ("mirror",)],
)
# ... store, store --move, then undo of the first store (refused: the copy is the only one).
@example(
    spec={"episodes": [{**PLAIN_EPISODE, "published": True, "wav": True}], **PLAIN_WORLD},
    sequence=[
        ("store", 0, "wav", "plain", False),
        ("store", 0, "wav", "--move", False),
        ("undo", 0),
    ],
)
# Found by this search:
# store, then --symlink-back of the same file, then undo of the store: the undo hashed the
# "source" through the new link (O_NOFOLLOW misspelt in ytm_doctor/hashing.py), found the
# stored copy's own bytes there, and removed the only copy.
@example(
    spec={"episodes": [{**PLAIN_EPISODE, "published": True, "wav": True}], **PLAIN_WORLD},
    sequence=[
        ("store", 0, "wav", "plain", False),
        ("store", 0, "wav", "--symlink-back", False),
        ("undo", 0),
    ],
)
def test_no_sequence_of_commands_loses_content(spec, sequence):
    play(spec, sequence)

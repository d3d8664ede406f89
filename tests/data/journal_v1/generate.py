"""How world/ and before.json were made: run with ytm-doctor 0.1.0 as released before the fix
engine became a package of registered operations (commit 2ea64d7), so that the journal in
world/ws/logs/ops/ytm_doctor/ is one that old code wrote. Kept to document the data; the test
(tests/core/test_old_journal.py) only reads what this wrote.

    python generate.py OUT_DIR     # with that old version installed
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

from ytm_doctor.config import load_config
from ytm_doctor.context import Context
from ytm_doctor.executor import Executor
from ytm_doctor.journal import Journal, audit
from ytm_doctor.plan import Action, Fix, PathRef

RUN_ID = "20260101T000000Z-0a1b2c"
NS = "factory_commentary"


def snapshot(root: Path) -> dict[str, list]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if rel.startswith("ws/logs"):
                continue
            if full.is_symlink():
                out[rel] = ["link", os.readlink(full)]
            elif full.is_dir():
                out[rel] = ["dir"]
            else:
                out[rel] = ["file", hashlib.sha256(full.read_bytes()).hexdigest()]
    return dict(sorted(out.items()))


def build(world: Path) -> None:
    ws, share, outbox = world / "ws", world / "share", world / "outbox"
    (ws / "audio/final/CH01/001").mkdir(parents=True)
    (ws / "audio/final/CH01/001/CH01-001.wav").write_bytes(b"RIFF final audio " * 64)
    (ws / "a.txt").write_bytes(b"the old bytes\n")
    os.symlink("/Volumes/gone/asset", ws / "old_link")
    (share / "ytm_workspaces").mkdir(parents=True)
    (share / "asset_vault/bgm").mkdir(parents=True)
    (share / "asset_vault/bgm/a.mp3").write_bytes(b"song")
    (share / f"uploads/{NS}").mkdir(parents=True)
    manifests = outbox / f"uploads/{NS}/manifests/audio_final"
    manifests.mkdir(parents=True)
    (manifests / "old.json").write_bytes(b'{"entries": []}\n')
    (manifests / "other.json").write_bytes(b'{"entries": []}\n')


def fixes() -> list[Fix]:
    ws = "workspace"
    wav = PathRef(ws, "audio/final/CH01/001/CH01-001.wav")
    stored = PathRef("share", f"uploads/{NS}/audio_final/CH01/001/CH01-001.wav")
    manifest = {
        "schema": "ytm.shared_store_manifest.v1",
        "kind": "audio_final",
        "entries": [{"path": "audio_final/CH01/001/CH01-001.wav"}],
    }
    link = "../../../../../share/uploads/factory_commentary/audio_final/CH01/001/CH01-001.wav"
    return [
        Fix(
            "t",
            "T001",
            "mkdir and write",
            [
                Action("mkdir", PathRef(ws, "newdir")),
                Action("write", PathRef(ws, "newdir/hello.txt"), data=b"hello\n"),
            ],
        ),
        Fix("t", "T002", "replace", [Action("replace", PathRef(ws, "a.txt"), data=b"new\n")]),
        Fix(
            "t",
            "T003",
            "rename aside, then link",
            [
                Action(
                    "rename",
                    PathRef(ws, "old_link"),
                    dest=PathRef(ws, "old_link.symlink_shared_backup_20260101T000000Z"),
                ),
                Action("symlink", PathRef(ws, "old_link"), target="newdir"),
            ],
        ),
        Fix(
            "t",
            "T004",
            "copy a tree",
            [
                Action("copy", PathRef(ws, "bgm_copy"), source=PathRef("share", "asset_vault/bgm")),
            ],
        ),
        Fix(
            "store",
            "T005",
            "store, record, symlink back",
            [
                Action("store_copy", stored, source=wav),
                Action(
                    "store_manifest",
                    PathRef(
                        "share", f"uploads/{NS}/manifests/audio_final/20260101T000000Z__t.json"
                    ),
                    data=json.dumps(manifest).encode(),
                ),
                Action("release", wav, source=stored, target=link),
            ],
        ),
        Fix(
            "flush-outbox",
            "T006",
            "retire",
            [
                Action("retire", PathRef("outbox", f"uploads/{NS}/manifests/audio_final/old.json")),
            ],
        ),
    ]


def main() -> None:
    out = Path(sys.argv[1]).absolute()
    world = out / "world"
    build(world)
    (out / "before.json").write_text(json.dumps(snapshot(world), indent=1) + "\n")
    options = argparse.Namespace(
        config=None,
        set=["shared_storage.require_mount=false", f"shared_storage.namespace={NS}"],
        workspace_root=str(world / "ws"),
        share_root=str(world / "share"),
        fallback_root=str(world / "outbox"),
    )
    ctx = Context(load_config(options, environ={}))
    journal = Journal(ctx.paths.report_dir, RUN_ID, {"command": "fix", "argv": ["fix", "--run"]})
    executor = Executor(ctx, journal=journal)
    results = [executor.apply(i, fix) for i, fix in enumerate(fixes(), 1)]
    for r in results:
        print(r.index, r.status, r.reasons)
    audit(ctx.paths.report_dir, {"run_id": RUN_ID, "command": "fix", "applied": len(results)})
    assert all(r.status == "applied" for r in results)


if __name__ == "__main__":
    main()

"""The demo's own files: its marker, the planning env file, the three configs and README.txt.

The configs and the README are written last, after every family has planted, because planting
changes what they say (planning.env_files, disk thresholds, the list of planted rules).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import yaml

from ytm_doctor.clock import iso_seconds
from ytm_doctor.demo.files import write_json, write_text
from ytm_doctor.demo.world import ENV_FILE, HOST_ALIAS, MARKER_NAME, NAMESPACE, DemoBuild


def write_marker(demo: DemoBuild) -> None:
    # Written first so that a build interrupted halfway can still be rebuilt in place.
    write_json(
        demo.dest / MARKER_NAME,
        {"schema": "ytm_doctor.demo.v1", "created_at": iso_seconds(demo.built_at)},
    )


def write_env_file(demo: DemoBuild) -> None:
    planning = str(demo.vault / "planning")  # absolute: dotenv and systemd have no base dir
    value = f'"{planning}"' if any(c.isspace() for c in planning) else planning
    text = (
        "# ytm environment for the demo factory (read by ops tools and by ytm-doctor YTM601)\n"
        f"YTM_SHARED_STORAGE_NAMESPACE={NAMESPACE}\n"
        f"YTM_PLANNING_ROOT={value}\n"
    )
    write_text(demo.dest / ENV_FILE, text)


def write_config(demo: DemoBuild, name: str, *, share: str, outbox: str | None = None) -> Path:
    shared: dict = {
        "root": share,
        "require_mount": False,  # the demo's share is a plain directory
        "namespace": NAMESPACE,
        "host_aliases": [HOST_ALIAS],
    }
    if outbox:
        # Keep the demo's outbox inside the demo, not in the user's data directory.
        shared["fallback_root"] = outbox
    data = {
        "workspace_root": "workspaces",
        "shared_storage": shared,
        "capcut": {"draft_root": "capcut_drafts"},
        "planning": {"env_files": list(demo.env_files)},
    }
    header = (
        "# ytm-doctor demo configuration; relative paths are taken from this file's directory.\n"
    )
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False)
    if demo.disk:
        body += (
            "# The demo raises the warning threshold (policy default: 150 GiB) far above any real\n"
            "# disk, so that the demo shows YTM501 low-disk on every machine.\n"
            + yaml.safe_dump({"disk": demo.disk}, sort_keys=False, default_flow_style=False)
        )
    path = demo.dest / name
    write_text(path, header + body)
    return path


def write_readme(demo: DemoBuild, config: Path, offline_config: Path) -> None:
    planted = ", ".join(demo.instances)
    about = (
        "This is a ytm-doctor demo factory: a Hot workspace (workspaces/), a share holding the "
        "Vault (share/ytm_workspaces, share/asset_vault), local CapCut drafts (capcut_drafts/) "
        "and Japanese planning sheets for CH01, CH02 and CH13. Most of it is healthy; problems "
        f"are planted on purpose for rules {planted}. The offline view (offline/share) is the "
        "same factory while the SMB share is down and its mount point is a stub."
    )
    text = (
        textwrap.fill(about, width=78) + "\n\n"
        "Scan the main view, then the offline view:\n"
        f"    ytm-doctor --config {config}\n"
        f"    ytm-doctor --config {offline_config}\n"
        "Rebuild with `ytm-doctor demo --dest DIR`; the .ytm_doctor_demo marker allows it.\n"
    )
    write_text(demo.dest / "README.txt", text)

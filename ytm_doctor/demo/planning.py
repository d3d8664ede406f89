"""Planted for the planning checks: YTM601 planning-root-drift and YTM602 planning-cache-drift."""

from __future__ import annotations

from ytm_doctor.demo.files import write_text
from ytm_doctor.demo.world import ENV_FILE, NAMESPACE, UI_HUB_UNIT, DemoBuild, Family


def plant_ytm601(demo: DemoBuild) -> None:
    """planning-root-drift: a UI hub unit still points at the Hot cache, while ops/env/ytm.env
    (and the derived default) name the Vault's planning SoT."""
    workspace, cache = str(demo.workspace), str(demo.workspace / "planning")
    text = (
        "[Unit]\n"
        "Description=factory UI hub (ui/api/files)\n"
        "After=network-online.target\n"
        "\n"
        "[Service]\n"
        f'Environment="YTM_WORKSPACE_ROOT={workspace}" "YTM_PLANNING_ROOT={cache}"\n'
        f"Environment=YTM_SHARED_STORAGE_NAMESPACE={NAMESPACE}\n"
        "ExecStart=/usr/bin/python3 -m factory_ui_hub --port 8000\n"
        "Restart=on-failure\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n"
    )
    write_text(demo.dest / UI_HUB_UNIT, text)
    demo.env_files.append(UI_HUB_UNIT)
    demo.instances["YTM601"] = (
        f"{UI_HUB_UNIT} sets YTM_PLANNING_ROOT to the Hot cache workspaces/planning, "
        f"{ENV_FILE} to the Vault SoT share/ytm_workspaces/planning"
    )


def plant_ytm602(demo: DemoBuild) -> None:
    """planning-cache-drift: CH01-003 moved to 台本作成中 on the Vault; the Hot cache still has
    the row as it was before (未着手)."""
    cache = demo.workspace / "planning" / "channels" / "CH01.csv"
    text = cache.read_bytes().decode("utf-8")
    row = "003,認知症を防ぐ毎日の習慣,"
    stale = text.replace(row + "台本作成中", row + "未着手")
    if stale == text:  # the episode table changed: keep the instance honest
        raise AssertionError("CH01-003 row not found in the planning cache")
    cache.write_bytes(stale.encode("utf-8"))
    demo.instances["YTM602"] = (
        "workspaces/planning/channels/CH01.csv still has CH01-003 as 未着手; the Vault SoT "
        "says 台本作成中"
    )


FAMILY = Family(plugin="planning", codes=("YTM601", "YTM602"), plants=(plant_ytm601, plant_ytm602))

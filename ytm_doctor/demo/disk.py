"""Planted for the disk checks: YTM501 low-disk."""

from __future__ import annotations

from ytm_doctor.demo.world import CONFIG_NAME, DemoBuild, Family


def plant_ytm501(demo: DemoBuild) -> None:
    """low-disk: the demo config's warning threshold is above any disk's free space."""
    demo.disk = {"warn_free_gib": 100000, "stop_free_gib": 80}
    demo.instances["YTM501"] = (
        f"{CONFIG_NAME} sets disk.warn_free_gib to 100000, so the volume holding workspaces/ "
        "is always below it"
    )


FAMILY = Family(plugin="disk", codes=("YTM501",), plants=(plant_ytm501,))

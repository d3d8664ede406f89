"""Planted for the config_paths checks: YTM100 config-invalid."""

from __future__ import annotations

from ytm_doctor.demo.world import CONFIG_NAME, MISSING_ENV_FILE, DemoBuild, Family


def plant_ytm100(demo: DemoBuild) -> None:
    """config-invalid: a planning env file listed in the config does not exist."""
    demo.env_files.append(MISSING_ENV_FILE)
    demo.instances["YTM100"] = (
        f"{CONFIG_NAME} lists planning.env_files {MISSING_ENV_FILE}, which does not exist"
    )


FAMILY = Family(plugin="config_paths", codes=("YTM100",), plants=(plant_ytm100,))

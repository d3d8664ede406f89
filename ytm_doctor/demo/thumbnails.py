"""Planted for the thumbnails checks: YTM801 thumbnail-missing."""

from __future__ import annotations

from ytm_doctor.demo.world import DemoBuild, Family


def plant_ytm801(demo: DemoBuild) -> None:
    """thumbnail-missing: a variant listed in projects.json whose image was never generated
    (seed 002, 2026-01-25: CH02 thumbnails missing, the UI full of broken images)."""
    image = demo.workspace / "thumbnails" / "assets" / "CH02" / "012" / "v2" / "00_thumb.png"
    image.unlink()
    demo.instances["YTM801"] = (
        "workspaces/thumbnails/projects.json lists CH02-012 variant v2, whose "
        "thumbnails/assets/CH02/012/v2/00_thumb.png was never generated"
    )


FAMILY = Family(plugin="thumbnails", codes=("YTM801",), plants=(plant_ytm801,))

"""The rule families the demo plants, in planting order: the one list to extend.

A new rule's instance goes into its check plugin's module here (a `plant_ytmNNN` function, and
its code in that module's `FAMILY`); a new check plugin gets a new module and a line below.

The order is behaviour, not style: README.txt lists the planted rules in this order, the
configs' planning.env_files keep the order families appended to them (YTM100, then YTM601), and
a few plants edit files an earlier one wrote. Append new families at the end.
"""

from __future__ import annotations

from ytm_doctor.demo import (
    config_paths,
    disk,
    hot,
    mirror,
    planning,
    share,
    store,
    symlinks,
    thumbnails,
    vault,
)
from ytm_doctor.demo.world import Family

FAMILIES: tuple[Family, ...] = (
    config_paths.FAMILY,
    share.FAMILY,
    hot.FAMILY,
    disk.FAMILY,
    planning.FAMILY,
    vault.FAMILY,
    thumbnails.FAMILY,
    symlinks.FAMILY,
    store.FAMILY,
    mirror.FAMILY,
)

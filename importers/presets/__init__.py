"""Ready-made spreadsheet mappings for common UK directory extracts.

Each preset is a YAML mapping next to this file (``nhs_ods_gp.yaml``, ``council_vcs.yaml``).
Use one directly with ``load_preset("nhs_ods_gp")``, or start a mapping file with
``preset: council_vcs`` and override only what differs (a field set to null removes it).
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importers.spreadsheet import Mapping

SUFFIX = ".yaml"


def names() -> list[str]:
    """The presets shipped with Waymark, by name."""
    files = resources.files(__name__).iterdir()
    return sorted(f.name.removesuffix(SUFFIX) for f in files if f.name.endswith(SUFFIX))


def preset_text(name: str) -> str:
    """The YAML text of preset ``name``; ``KeyError`` when there is no such preset."""
    if name not in names():
        raise KeyError(name)
    return resources.files(__name__).joinpath(name + SUFFIX).read_text(encoding="utf-8")


def load_preset(name: str) -> Mapping:
    """Preset ``name`` as a validated ``Mapping`` (see ``importers.spreadsheet.load_preset``)."""
    from importers.spreadsheet import load_preset as load  # the mapping code imports this package

    return load(name)

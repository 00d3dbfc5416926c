"""urbanrisk: geospatial urban resilience and biodiversity analysis.

Hazard exposure and damage (:mod:`urbanrisk.hazard`), green-space connectivity
(:mod:`urbanrisk.green`) and coastal retreat scenarios (:mod:`urbanrisk.coast`), composed into
a city risk profile (:mod:`urbanrisk.profile`).

Examples
--------
>>> import urbanrisk
>>> urbanrisk.__version__
'0.1.0'
"""

from __future__ import annotations

import importlib
from typing import Any

from urbanrisk.errors import UrbanRiskError

__version__ = "0.1.0"

__all__ = [
    "UrbanRiskError",
    "__version__",
    "adapt",
    "coast",
    "datasets",
    "errors",
    "green",
    "hazard",
    "layers",
    "maps",
    "profile",
    "sources",
    "study",
    "units",
]

_SUBMODULES = {
    "adapt", "coast", "datasets", "errors", "green", "hazard", "layers", "maps", "profile",
    "sources", "study", "units",
}


def __getattr__(name: str) -> Any:
    # Subpackages load on first use so `import urbanrisk` stays fast.
    if name in _SUBMODULES:
        return importlib.import_module(f"urbanrisk.{name}")
    raise AttributeError(f"module 'urbanrisk' has no attribute {name!r}")

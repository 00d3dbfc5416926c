"""Where each fetched layer comes from: source, version, access date and licence.

A :class:`Provenance` record travels with every layer :mod:`urbanrisk.sources` writes: in
the disk cache, in ``provenance.json`` beside the layers, in the comments of the generated
``city.toml`` and, joined by :func:`credits_line`, in its ``[city] credit`` key, which the
maps and the report print.

Examples
--------
>>> p = Provenance(layer="buildings", product="osm", source="OpenStreetMap",
...                version="Helsinki.osm.pbf sha256:1a2b3c4d", accessed="2026-12-04",
...                licence="ODbL 1.0", credit="© OpenStreetMap contributors")
>>> p.describe()
'buildings: OpenStreetMap, Helsinki.osm.pbf sha256:1a2b3c4d, accessed 2026-12-04; ODbL 1.0'
>>> credits_line([p, p])
'© OpenStreetMap contributors (ODbL 1.0)'
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from urbanrisk.layers import atomic_path

__all__ = ["Provenance", "credits_line", "write_provenance", "read_provenance"]


@dataclass(frozen=True)
class Provenance:
    """Source, version, access date and licence of one layer.

    Attributes
    ----------
    layer : str
        Name of the layer (``"buildings"``, ``"dem"``...).
    product : str
        Key of the product in :data:`urbanrisk.sources.PRODUCTS`, or ``"osm"``.
    source : str
        Who publishes the data, and where they were read from (catalogue URL or file).
    version : str
        Version of the product (``"v200"``, ``"R2023A"``) or of the extract (its checksum).
    accessed : str
        ISO date the data were read from the source (not the date they were reused from
        the cache).
    licence : str
        Licence of the data, e.g. ``"CC BY 4.0"``.
    credit : str
        The attribution the licence asks for, printed on maps and in the report.
    items : tuple of str
        STAC item ids (or OSM files) the layer was made from.
    url : str
        Page describing the product.
    notes : str
        Known limits of the product that matter for the analyses.
    """

    layer: str
    product: str
    source: str
    version: str
    accessed: str
    licence: str
    credit: str
    items: tuple[str, ...] = field(default_factory=tuple)
    url: str = ""
    notes: str = ""

    def describe(self) -> str:
        """One line: layer, source, version, access date and licence."""
        return (f"{self.layer}: {self.source}, {self.version}, accessed {self.accessed}; "
                f"{self.licence}")

    def to_dict(self) -> dict:
        """Plain mapping for JSON (items as a list)."""
        d = asdict(self)
        d["items"] = list(self.items)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Provenance:
        """Inverse of :meth:`to_dict`."""
        return cls(**{**d, "items": tuple(d.get("items", ()))})


def credits_line(records: Iterable[Provenance]) -> str:
    """Join the credits of several layers, each once, with their licence.

    The order is the order of first appearance; ``"; "`` separates the credits.
    """
    seen: list[str] = []
    for r in records:
        text = f"{r.credit} ({r.licence})"
        if text not in seen:
            seen.append(text)
    return "; ".join(seen)


def write_provenance(
    records: Sequence[Provenance], path: str | os.PathLike, *, overwrite: bool = False
) -> Path:
    """Write provenance records as a JSON list (atomically)."""
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps([r.to_dict() for r in records], indent=1,
                                  ensure_ascii=False) + "\n", encoding="utf-8")
    return Path(path)


def read_provenance(path: str | os.PathLike) -> list[Provenance]:
    """Read the records written by :func:`write_provenance`."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [Provenance.from_dict(d) for d in data]

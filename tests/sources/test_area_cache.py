import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from urbanrisk.errors import InputValueError
from urbanrisk.sources import (
    Cache,
    CacheKey,
    Provenance,
    SourceUnavailableError,
    bbox_key,
    check_bbox,
    credits_line,
    local_crs,
    read_provenance,
    write_provenance,
)

PROV = Provenance("dem", "cop-dem-glo-30", "Copernicus DEM", "2021_1", "2026-12-01",
                  "Copernicus DEM licence", "Copernicus DEM GLO-30")
KEY = CacheKey("cop-dem-glo-30", "2021_1", (24.94, 60.166, 24.95, 60.172), "EPSG:32635 30m")


@pytest.mark.parametrize("bad, words", [
    ("24.9,60.1,24.95", "four numbers"),
    ("a,b,c,d", "four numbers"),
    ((25.0, 60.0, 24.0, 61.0), "less than east"),
    ((24.0, 61.0, 25.0, 60.0), "less than north"),
    ((170.0, 0.0, 181.0, 1.0), "antimeridian"),
    ((20.0, 60.0, 25.0, 61.0), "more than 2 degrees"),
    ((24.0, float("nan"), 25.0, 61.0), "bbox"),
])
def test_check_bbox_refuses_with_the_reason(bad, words):
    with pytest.raises(InputValueError, match=words):
        check_bbox(bad)


@pytest.mark.parametrize("bbox, epsg", [
    ((24.94, 60.166, 24.95, 60.172), 32635),   # Helsinki: UTM 35 N
    ((18.40, -33.95, 18.45, -33.90), 32734),   # Cape Town: UTM 34 S
    ((-74.02, 40.70, -73.97, 40.75), 32618),   # New York: UTM 18 N
])
def test_local_crs_is_the_utm_zone(bbox, epsg):
    assert local_crs(bbox).to_epsg() == epsg


@given(w=st.floats(-179, 178), s=st.floats(-80, 78), dx=st.floats(0.001, 1.9),
       dy=st.floats(0.001, 1.9))
def test_bbox_string_round_trip(w, s, dx, dy):
    box = check_bbox((w, s, w + dx, s + dy))
    again = check_bbox(bbox_key(box).replace("_", ","))
    assert all(abs(a - b) <= 5e-7 for a, b in zip(box, again, strict=True))


def _write(folder):
    (folder / "dem.tif").write_bytes(b"0123456789")


def test_cache_put_get_and_checksum(tmp_path):
    cache = Cache(tmp_path)
    assert cache.get(KEY) is None
    entry = cache.put(KEY, _write, PROV)
    meta = json.loads((entry.folder / "entry.json").read_text())
    # sha256 of b"0123456789", computed independently
    assert meta["sha256"]["dem.tif"] == (
        "84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882")
    assert meta["key"]["version"] == "2021_1"
    got = cache.get(KEY)
    assert got.provenance == PROV and [p.name for p in got.files] == ["dem.tif"]


def test_cache_shared_by_concurrent_writers(tmp_path):
    """Workers of a study storing one key at once: every one gets a whole, valid entry."""
    import threading

    n = 8
    barrier = threading.Barrier(n)
    got, errors = [], []

    def write(folder):
        _write(folder)
        barrier.wait(timeout=10)  # all rename at about the same moment

    def worker():
        try:
            got.append(Cache(tmp_path).put(KEY, write, PROV))
        except Exception as exc:  # pragma: no cover - the failure the test looks for
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(got) == n
    assert {e.folder for e in got} == {tmp_path / KEY.folder()}
    assert Cache(tmp_path).get(KEY).files[0].read_bytes() == b"0123456789"
    assert not [p for p in (tmp_path / KEY.folder()).parent.iterdir() if p.name.startswith(".~")]


def test_put_keeps_an_entry_stored_meanwhile(tmp_path):
    first = Cache(tmp_path).put(KEY, _write, PROV)
    again = Cache(tmp_path).put(KEY, lambda f: (f / "dem.tif").write_bytes(b"other"), PROV)
    assert again.folder == first.folder and again.files[0].read_bytes() == b"0123456789"


def test_cache_key_separates_versions_boxes_and_grids():
    folders = {KEY.folder(),
               CacheKey(KEY.product, "2022_1", KEY.bbox, KEY.grid).folder(),
               CacheKey(KEY.product, KEY.version, (24.94, 60.166, 24.95, 60.173),
                        KEY.grid).folder(),
               CacheKey(KEY.product, KEY.version, KEY.bbox, "EPSG:32635 90m").folder()}
    assert len(folders) == 4


def test_damaged_entry_is_not_used(tmp_path, caplog):
    cache = Cache(tmp_path)
    entry = cache.put(KEY, _write, PROV)
    (entry.folder / "dem.tif").write_bytes(b"0123456780")  # one byte changed
    assert cache.get(KEY) is None
    assert "damaged" in caplog.text
    with pytest.raises(SourceUnavailableError, match="checksum"):
        Cache(tmp_path, offline=True).require(KEY)


def test_offline_miss_says_how_to_fetch(tmp_path):
    with pytest.raises(SourceUnavailableError, match="without --offline"):
        Cache(tmp_path, offline=True).require(KEY)
    assert Cache(tmp_path).require(KEY) is None  # online: the caller fetches


def test_provenance_round_trip_and_credits(tmp_path):
    osm = Provenance("roads", "osm", "OpenStreetMap", "x.pbf", "2026-12-01", "ODbL 1.0",
                     "© OpenStreetMap contributors", items=("x.pbf",))
    path = write_provenance([PROV, osm, osm], tmp_path / "provenance.json")
    assert read_provenance(path) == [PROV, osm, osm]
    assert credits_line([PROV, osm, osm]) == (
        "Copernicus DEM GLO-30 (Copernicus DEM licence); "
        "© OpenStreetMap contributors (ODbL 1.0)")

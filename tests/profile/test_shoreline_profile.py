"""The shoreline part of a profile on real data: Narrabeen shorelines and transects."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from tests.conftest import shared_path
from urbanrisk.profile import CityProfile, load_config


@pytest.mark.shared_data
def test_narrabeen_shoreline_statistics_through_a_config(tmp_path):
    folder = shared_path("narrabeen_shorelines")
    cfg_path = tmp_path / "narrabeen.toml"
    cfg_path.write_text(textwrap.dedent(f"""
        [city]
        name = "Narrabeen"
        credit = "Shorelines: CoastSat (Vos et al. 2019), Landsat imagery courtesy of USGS"
        [layers]
        shorelines = "{(folder / 'narrabeen_shorelines_coastsat_1987_2021.gpkg').as_posix()}"
        transects = "{(folder / 'NARRA_transects.geojson').as_posix()}"
        [shoreline]
        date_column = "date"
        [output]
        map_formats = ["png"]
    """))
    profile = CityProfile(load_config(cfg_path)).run(progress=False)
    status = profile.status().set_index("analysis")
    assert status.loc["shoreline", "status"] == "done", status.loc["shoreline", "reason"]
    assert (status.drop(index="shoreline")["status"] == "skipped").all()
    t = profile.indicators.set_index("indicator")["value"]
    stats = profile.tables["shoreline_statistics"]
    lrr = stats["LRR_m_per_yr"].to_numpy(dtype=float)
    assert t["shoreline_transects"] == np.isfinite(lrr).sum() == 5
    assert t["shoreline_lrr_median_m_yr"] == pytest.approx(np.nanmedian(lrr))
    assert t["shoreline_lrr_min_m_yr"] == pytest.approx(np.nanmin(lrr))
    # Narrabeen moved by well under 2 m/yr on average over 1987-2021 at every transect
    assert np.all(np.abs(lrr) < 2.0)
    assert len(profile.vectors["transects"]) == 5
    out = profile.export(tmp_path / "out")
    assert (out / "maps" / "shoreline_change.png").is_file()
    assert not (out / "maps" / "shoreline_change.pdf").exists()

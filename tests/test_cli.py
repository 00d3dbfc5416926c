from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from urbanrisk import __version__
from urbanrisk.cli import main
from urbanrisk.profile.indicators import REGISTRY

BIN = Path(sys.executable).with_name("urbanrisk")


def test_version_through_the_installed_entry_point():
    exe = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "urbanrisk.cli"]
    out = subprocess.run([*exe, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"urbanrisk {__version__}"


def test_indicators_lists_every_definition(capsys):
    assert main(["indicators"]) == 0
    text = capsys.readouterr().out
    for key, ind in REGISTRY.items():
        assert key in text and ind.definition in text
    assert main(["indicators", "--format", "csv"]) == 0
    from io import StringIO

    table = pd.read_csv(StringIO(capsys.readouterr().out))
    assert table["key"].tolist() == list(REGISTRY)
    assert main(["indicators", "--format", "markdown"]) == 0
    assert capsys.readouterr().out.startswith("# Indicators")


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def _bad_config(tmp_path: Path) -> Path:
    path = tmp_path / "city.toml"
    path.write_text(textwrap.dedent("""
        [city]
        name = "X"
        [layers]
        buildings = "nope.gpkg"
        [green]
        dispersal_distance_m = "far"
        [hazard]
        colour = "red"
    """))
    return path


def test_user_errors_exit_2_with_a_message_and_no_traceback(tmp_path, capsys):
    cfg = _bad_config(tmp_path)
    assert main(["profile", str(cfg), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "3 problem(s)" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    assert main(["check", str(cfg)]) == 2
    assert main(["profile", str(tmp_path / "missing.toml"), "--out", str(tmp_path)]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_debug_shows_the_traceback(tmp_path):
    from urbanrisk.errors import ConfigError

    with pytest.raises(ConfigError):
        main(["--debug", "profile", str(_bad_config(tmp_path)), "--out", str(tmp_path / "o")])


def test_existing_output_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    import urbanrisk.profile.core as core

    def must_not_run(*a, **k):
        raise AssertionError("the profile ran although the output folder was refused")

    monkeypatch.setattr(core.CityProfile, "run", must_not_run)
    (tmp_path / "out").mkdir()
    assert main(["demo", "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    assert "already exists" in capsys.readouterr().err


def test_internal_errors_exit_1_and_point_to_debug(tmp_path, capsys, monkeypatch):
    import urbanrisk.profile.demo as demo

    monkeypatch.setattr(demo, "demo_config", lambda: 1 / 0)
    import urbanrisk.profile as prof

    monkeypatch.setattr(prof, "demo_config", lambda: 1 / 0)
    assert main(["demo", "--out", str(tmp_path / "o"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "--debug" in err and "Traceback" not in err


def test_demo_writes_the_profile_and_prints_the_time(tmp_path, capsys):
    out = tmp_path / "demo"
    code = main(["demo", "--out", str(out), "--no-progress"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "demo finished in" in text and " s" in text.splitlines()[-1]
    assert (out / "report.html").is_file() and (out / "indicators.csv").is_file()
    for analysis in ("hazard", "heat", "green", "coast", "shoreline"):
        assert analysis in text
    # a second run needs --overwrite
    assert main(["demo", "--out", str(out), "--no-progress"]) == 2
    assert main(["demo", "--out", str(out), "--no-progress", "--overwrite"]) == 0


def test_study_command_is_wired(capsys):
    with pytest.raises(SystemExit) as info:
        main(["study", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--scheduler" in out and "--workers" in out and "--force" in out

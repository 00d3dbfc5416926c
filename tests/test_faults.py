"""The command line under faults: Ctrl-C at any moment, kill, broken pipes, environment errors.

No environmental fault ends in "internal error ... This is a bug". The subprocess tests
send real signals to a real ``urbanrisk`` process and read a real pipe.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests._small_city import small_city_toml
from urbanrisk.cli import main

BIN = Path(sys.executable).with_name("urbanrisk")
CMD = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "urbanrisk.cli"]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and pipes")


def _hidden(parent: Path, name: str) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(f".~{name}.")]


@pytest.mark.slow
@pytest.mark.parametrize("sig, code, word", [(signal.SIGINT, 130, "interrupted"),
                                             (signal.SIGTERM, 143, "terminated")])
def test_a_signal_at_any_moment_ends_with_one_line_and_no_leftovers(tmp_path, sig, code,
                                                                    word):
    """Early (imports still running: the traceback of the issue), and during the run."""
    cfg = small_city_toml(tmp_path)
    for delay in (0.2, 1.0, 2.5):
        out = tmp_path / f"out{delay}"
        proc = subprocess.Popen([*CMD, "profile", str(cfg), "--out", str(out),
                                 "--no-progress"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        if proc.returncode in (0, 4) or (proc.returncode == -sig and out.exists()):
            # finished before the signal came (it may land after main() restored the
            # default handlers, on the way out): nothing to show
            continue
        assert proc.returncode == code, (delay, err)
        assert err == f"urbanrisk: {word}\n", (delay, err)
        assert not out.exists() and _hidden(tmp_path, out.name) == []


@pytest.mark.slow
def test_a_closed_pipe_ends_quietly(tmp_path):
    """`urbanrisk indicators | head -1`: no "internal error", no BrokenPipeError."""
    proc = subprocess.Popen([*CMD, "indicators"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away, as `head` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert first.startswith(b"[") and err == ""


def test_an_environment_error_is_a_user_error_not_a_bug(monkeypatch, capsys):
    import urbanrisk.cli as cli

    def disk_failing(args):
        raise OSError(errno.EIO, os.strerror(errno.EIO), "/mnt/share/city.toml")

    monkeypatch.setitem(cli._COMMANDS, "check", disk_failing)
    assert main(["check", "x.toml"]) == 2
    err = capsys.readouterr().err
    assert "cannot use /mnt/share/city.toml: the device reported an input/output error " \
           "(EIO, errno 5)" in err
    assert "internal error" not in err and "bug" not in err


def test_running_out_of_memory_is_a_user_error_not_a_bug(monkeypatch, capsys):
    import urbanrisk.cli as cli

    def too_big(args):
        raise MemoryError

    monkeypatch.setitem(cli._COMMANDS, "check", too_big)
    assert main(["check", "x.toml"]) == 2
    err = capsys.readouterr().err
    assert "out of memory" in err and "internal error" not in err


def test_an_unwritable_output_is_refused_before_any_analysis(tmp_path, monkeypatch, capsys):
    """EACCES on the output's parent: refused with the path and errno, nothing run."""
    import urbanrisk.profile.core as core
    from urbanrisk.profile import export as export_mod

    def must_not_run(*a, **k):
        raise AssertionError("the analysis ran although the output cannot be written")

    monkeypatch.setattr(core.CityProfile, "run", must_not_run)
    real_mkdir = Path.mkdir

    def denied(self, *args, **kwargs):
        if self.name.startswith(".~out."):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(export_mod.Path, "mkdir", denied)
    cfg = small_city_toml(tmp_path)
    assert main(["profile", str(cfg), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {tmp_path / 'out'}" in err
    assert "permission denied (EACCES, errno 13)" in err and "internal error" not in err
    assert _hidden(tmp_path, "out") == [] and not (tmp_path / "out").exists()


def test_no_room_is_refused_before_any_analysis(tmp_path, monkeypatch, capsys):
    import shutil

    import urbanrisk.profile.core as core
    from urbanrisk.profile import export as export_mod

    def must_not_run(*a, **k):
        raise AssertionError("the analysis ran although the disk has no room")

    monkeypatch.setattr(core.CityProfile, "run", must_not_run)
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(export_mod.shutil, "disk_usage", lambda p: usage._replace(free=1000))
    cfg = small_city_toml(tmp_path)
    assert main(["profile", str(cfg), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "the disk has 1000 bytes free" in err and "internal error" not in err


def test_an_unreachable_scheduler_on_the_command_line(tmp_path, capsys):
    pytest.importorskip("dask.distributed")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    study = tmp_path / "study.toml"
    cfg = small_city_toml(tmp_path)
    study.write_text(f'[study]\nname = "s"\n[[cities]]\nname = "a"\nconfig = "{cfg}"\n')
    t0 = time.perf_counter()
    code = main(["study", str(study), "--out", str(tmp_path / "out"), "--no-progress",
                 "--scheduler", f"tcp://127.0.0.1:{port}", "--connect-timeout", "1"])
    assert code == 2 and time.perf_counter() - t0 < 5
    err = capsys.readouterr().err
    assert f"cannot reach the dask scheduler at 'tcp://127.0.0.1:{port}'" in err
    assert "internal error" not in err


def test_duplicate_city_names_stop_the_study_command_before_any_city(tmp_path, capsys):
    cfg = small_city_toml(tmp_path, "Same")
    study = tmp_path / "study.toml"
    study.write_text(f'[study]\nname = "s"\n[[cities]]\nname = "a"\nconfig = "{cfg}"\n'
                     f'[[cities]]\nname = "b"\nconfig = "{cfg}"\n')
    assert main(["study", str(study), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "cities[0] ('a') and cities[1] ('b') both have [city] name = 'Same'" in err
    assert not (tmp_path / "out").exists()

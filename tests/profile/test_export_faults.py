"""Exports under faults: concurrent runs, full and read-only disks, size limits, killed runs.

Each test reproduces one fault of issue #15 and shows the fixed behaviour. Faults that need
a real file system (a full or read-only tmpfs) run where the test may mount one (root with
CAP_SYS_ADMIN) and skip elsewhere; the same code paths are also driven by an injected
``OSError`` so they run everywhere.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from tests._small_city import small_city
from urbanrisk.errors import OutputError, OutputExistsError, UrbanRiskError
from urbanrisk.profile import CityProfile, config_from_dict, export_profile
from urbanrisk.profile.export import (
    MANIFEST_NAME,
    OWNER_NAME,
    claim_output_folder,
    output_lock,
    remove_stale_temporaries,
)


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    cfg = config_from_dict(small_city(tmp_path_factory.mktemp("small")))
    return CityProfile(cfg).run(progress=False)


def _leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".~{name}."))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# --------------------------------------------------------------------------------------
# Two runs, one output folder
# --------------------------------------------------------------------------------------
def test_a_second_claim_on_the_folder_is_refused_at_once(tmp_path):
    out = tmp_path / "same"
    with claim_output_folder(out):
        with pytest.raises(OutputExistsError, match=rf"process {os.getpid()} on .* is writing"):
            claim_output_folder(out)
    with claim_output_folder(out):  # released: free again
        pass
    assert list(tmp_path.iterdir()) == []  # lock file and temporary folder gone


def test_another_process_holding_the_lock_refuses_the_export(profile, tmp_path):
    """A lock held by another process (the OS file lock, as a concurrent run holds it)."""
    out = tmp_path / "same"
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import fcntl, json, os, sys, time\n"
            f"fd = os.open({str(tmp_path / '.~same.lock')!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "os.write(fd, json.dumps({'urbanrisk': 'x', 'pid': os.getpid(), "
            "'host': 'h', 'started': 'now'}).encode())\n"
            "print('held', flush=True)\n"
            "sys.stdin.read()\n")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputExistsError, match=f"process {holder.pid} on h"):
            export_profile(profile, out)
        assert not out.exists()
    finally:
        holder.communicate("")
    export_profile(profile, out)  # the holder is gone: its lock went with it
    assert (out / MANIFEST_NAME).is_file()


def test_a_thread_of_the_same_process_is_refused_too(profile, tmp_path):
    out = tmp_path / "same"
    errors: list[BaseException] = []

    def other():
        try:
            export_profile(profile, out)
        except BaseException as exc:  # noqa: BLE001 - checked below
            errors.append(exc)

    with claim_output_folder(out):
        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert len(errors) == 1 and isinstance(errors[0], OutputExistsError)
        export_profile(profile, out)  # this thread holds the claim: it writes
    assert (out / MANIFEST_NAME).is_file() and not (out / OWNER_NAME).exists()


@pytest.mark.slow
def test_two_command_line_runs_at_once_one_proceeds_one_refuses(tmp_path):
    """The issue's reproduction: two `urbanrisk profile` runs, two cities, one folder."""
    from tests._small_city import small_city_toml

    exe = Path(sys.executable).with_name("urbanrisk")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "urbanrisk.cli"]
    out = tmp_path / "same"
    procs = {
        name: subprocess.Popen(
            [*cmd, "profile", str(small_city_toml(tmp_path / name, name)), "--out", str(out),
             "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("Alpha", "Beta")
    }
    done = {name: (p.wait(timeout=120), p.stderr.read()) for name, p in procs.items()}
    # the winner writes (0; or 4: written, but the small city leaves analyses out)
    codes = sorted(code for code, _ in done.values())
    assert codes in ([0, 2], [2, 4]), done
    winner = next(name for name, (code, _) in done.items() if code != 2)
    loser_err = next(err for code, err in done.values() if code == 2)
    assert "is writing to" in loser_err or "already exists" in loser_err, loser_err
    assert "Traceback" not in loser_err
    table = pd.read_csv(out / "indicators.csv")
    assert set(table["city"]) == {winner}
    assert _leftovers(tmp_path, "same") == []


# --------------------------------------------------------------------------------------
# --overwrite replaces only a complete result
# --------------------------------------------------------------------------------------
def test_overwrite_keeps_the_earlier_output_when_the_new_one_fails(profile, tmp_path,
                                                                   monkeypatch):
    import urbanrisk.profile.export as export_mod

    out = tmp_path / "city"
    export_profile(profile, out)
    before = (out / MANIFEST_NAME).read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(export_mod, "write_raster", disk_full)
    with pytest.raises(OutputError, match=r"disk is full .*ENOSPC, errno 28") as info:
        export_profile(profile, out, overwrite=True)
    assert info.value.errno == errno.ENOSPC and str(out) in str(info.value)
    assert (out / MANIFEST_NAME).read_bytes() == before  # the earlier result, untouched
    assert _leftovers(tmp_path, "city") == []


# --------------------------------------------------------------------------------------
# Full, read-only, size-limited disks: a real file system where possible
# --------------------------------------------------------------------------------------
@pytest.fixture
def tmpfs(tmp_path):
    """Mount a small tmpfs; yield a function (size, read_only) -> its path."""
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root on Linux")
    mounted: list[Path] = []

    def mount(size: str, read_only: bool = False) -> Path:
        point = tmp_path / f"fs{len(mounted)}"
        point.mkdir()
        opts = f"size={size}" + (",ro" if read_only else "")
        res = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(point)],
                             capture_output=True, text=True)
        if res.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def test_a_full_disk_is_refused_before_any_work(profile, tmpfs):
    disk = tmpfs("48k")
    with pytest.raises(OutputError, match=r"the disk has 4\d KiB free and the outputs need "
                       r"about 16 MiB") as info:
        claim_output_folder(disk / "city", need_bytes=16 * 2**20)
    assert info.value.errno == errno.ENOSPC
    assert list(disk.iterdir()) == []


def test_a_disk_filling_up_is_reported_with_path_and_errno_and_nothing_is_left(
        profile, tmpfs, monkeypatch):
    import urbanrisk.profile.export as export_mod

    monkeypatch.setattr(export_mod, "estimate_output_bytes", lambda config: 0)  # room, it says
    disk = tmpfs("48k")
    out = disk / "city"
    with pytest.raises(OutputError, match=r"disk is full .*\(ENOSPC, errno 28\)") as info:
        export_profile(profile, out)
    assert info.value.errno == errno.ENOSPC
    assert str(disk) in str(info.value)
    assert list(disk.iterdir()) == []  # nothing half-written, no temporary folder


def test_a_read_only_disk_is_refused_before_any_work(tmpfs):
    disk = tmpfs("1m", read_only=True)
    with pytest.raises(OutputError, match=r"read-only \(EROFS, errno 30\)") as info:
        claim_output_folder(disk / "city")
    assert info.value.errno == errno.EROFS and str(disk) in str(info.value)


def test_too_little_free_space_is_refused_before_any_work(tmp_path, monkeypatch):
    import urbanrisk.profile.export as export_mod

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(export_mod.shutil, "disk_usage",
                        lambda p: usage._replace(free=3 * 2**20))
    with pytest.raises(OutputError, match=r"3 MiB free .* need about 40 MiB") as info:
        claim_output_folder(tmp_path / "city", need_bytes=40 * 2**20)
    assert info.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []


def test_a_file_size_limit_is_reported_as_efbig(profile, tmp_path):
    """``ulimit -f`` (RLIMIT_FSIZE): a real EFBIG from the kernel, no privileges needed."""
    resource = pytest.importorskip("resource")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    out = tmp_path / "city"
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, hard))  # the manifest is larger
    try:
        with pytest.raises(OutputError, match=r"file-size limit .*\(EFBIG, errno 27\)"):
            export_profile(profile, out)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert not out.exists() and _leftovers(tmp_path, "city") == []


@pytest.mark.slow
def test_permission_denied_names_the_folder(tmp_path):
    """EACCES: run as an unprivileged user (root passes every permission check)."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    code = ("from urbanrisk.profile.export import claim_output_folder\n"
            f"claim_output_folder({str(locked / 'city')!r})\n")
    kwargs = {}
    if os.geteuid() == 0:
        tmp_path.chmod(0o755)
        kwargs = {"user": 65534, "group": 65534}
    try:
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             **kwargs)
    except PermissionError:
        pytest.skip("the unprivileged user cannot run this Python (its folder is private)")
    assert res.returncode != 0
    assert "OutputError: cannot create a lock in" in res.stderr, res.stderr
    assert "permission denied (EACCES, errno 13)" in res.stderr


# --------------------------------------------------------------------------------------
# Stale temporary folders of killed runs
# --------------------------------------------------------------------------------------
def _temp(parent: Path, name: str, owner: dict | None) -> Path:
    path = parent / name
    path.mkdir()
    (path / "indicators.csv").write_text("half,written\n")
    if owner is not None:
        (path / OWNER_NAME).write_text(json.dumps({"urbanrisk": "0.1", **owner}))
    return path


def test_stale_temporaries_only_ours_only_when_their_process_is_gone(tmp_path, caplog):
    host = socket.gethostname()
    dead = _temp(tmp_path, ".~city.0000dead", {"pid": _dead_pid(), "host": host})
    live = _temp(tmp_path, ".~city.0000a11e", {"pid": os.getpid(), "host": host})
    remote = _temp(tmp_path, ".~city.00000e1e", {"pid": 1, "host": host + "-elsewhere"})
    anonymous = _temp(tmp_path, ".~city.0000beef", None)
    unrelated = _temp(tmp_path, ".~city.notours", {"pid": _dead_pid(), "host": host})
    other_city = _temp(tmp_path, ".~town.0000dead", {"pid": _dead_pid(), "host": host})
    with caplog.at_level("WARNING"):
        with claim_output_folder(tmp_path / "city"):
            pass
    assert not dead.exists()
    for kept in (live, remote, anonymous, unrelated, other_city):
        assert kept.exists(), kept
    assert "is writing it" in caplog.text and "no owner record" in caplog.text


def test_a_reused_pid_does_not_keep_a_stale_folder(tmp_path):
    """Our own pid, but another process start time: the owner is gone."""
    stale = _temp(tmp_path, ".~city.00000123", {"pid": os.getpid(), "host": socket.gethostname(),
                                               "process_start": "1"})
    if not Path(f"/proc/{os.getpid()}/stat").exists():
        pytest.skip("process start times are read from /proc")
    assert remove_stale_temporaries(tmp_path / "city") == [stale]


def test_an_output_left_aside_by_a_killed_replace_is_put_back(tmp_path):
    old = _temp(tmp_path, ".~city.old.0000abcd",
                {"pid": _dead_pid(), "host": socket.gethostname()})
    (old / MANIFEST_NAME).write_text("{}")
    assert remove_stale_temporaries(tmp_path / "city") == [old]
    assert (tmp_path / "city" / MANIFEST_NAME).is_file()
    assert not (tmp_path / "city" / OWNER_NAME).exists()


@pytest.mark.slow
def test_a_run_killed_outright_is_cleaned_up_by_the_next(profile, tmp_path):
    """`kill -9` in the middle of an export: the next export to that folder removes it."""
    code = ("import os, signal\n"
            "from urbanrisk.profile.export import claim_output_folder\n"
            f"claim = claim_output_folder({str(tmp_path / 'city')!r})\n"
            "open(claim.temporary_folder() / 'indicators.csv', 'w').write('half')\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == -9, res.stderr
    assert len(_leftovers(tmp_path, "city")) == 2  # its temporary folder and its lock file
    export_profile(profile, tmp_path / "city")
    assert _leftovers(tmp_path, "city") == []
    assert (tmp_path / "city" / MANIFEST_NAME).is_file()


def test_output_lock_is_an_urbanrisk_error_and_a_file_exists_error(tmp_path):
    with output_lock(tmp_path / "study"):
        with pytest.raises(OutputExistsError) as info:
            with output_lock(tmp_path / "study"):
                pass
    assert isinstance(info.value, UrbanRiskError) and isinstance(info.value, FileExistsError)

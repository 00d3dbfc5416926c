"""The ``urbanrisk`` command line.

Commands::

    urbanrisk demo [--out DIR] [--overwrite]      the sample city's full profile
    urbanrisk profile CITY.toml --out DIR          a city's profile from its config
    urbanrisk indicators [--format text|markdown|csv]   the indicator definitions
    urbanrisk check CITY.toml                      check a config and its layers, run nothing
    urbanrisk study STUDY.toml --out DIR [--scheduler ADDR] [--workers N] [--force]
    urbanrisk --version

Exit codes: 0 success; 1 an unexpected internal error (a bug: please report it with the
``--debug`` traceback); 2 a user error (bad config, missing file, existing output folder,
bad data) — the message says what to do, no traceback unless ``--debug``; 3 the outputs
were written but at least one analysis (or, for ``study``, one city) failed;
130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_BUG, EXIT_USER, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``urbanrisk`` (also used to document the CLI)."""
    from urbanrisk import __version__

    parser = argparse.ArgumentParser(
        prog="urbanrisk",
        description="City risk profiles: flood exposure and damage, heat, green-space "
        "connectivity and sea-level rise, from a city's layers.",
    )
    parser.add_argument("--version", action="version", version=f"urbanrisk {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks and debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p_demo = sub.add_parser("demo", help="run the full profile of the bundled sample city")
    p_demo.add_argument("--out", default="demo-output", type=Path,
                        help="output folder (default: ./demo-output)")
    _common(p_demo)

    p_prof = sub.add_parser("profile", help="run a city's profile from its TOML config")
    p_prof.add_argument("config", type=Path, help="the city's .toml file")
    p_prof.add_argument("--out", required=True, type=Path, help="output folder")
    _common(p_prof)

    p_ind = sub.add_parser("indicators", help="list the indicators and their definitions")
    p_ind.add_argument("--format", choices=("text", "markdown", "csv"), default="text",
                       help="output format (default: text)")

    p_chk = sub.add_parser(
        "check", help="check a city config and open every layer's header (units, nodata, "
        "rotation, CRS, grids) without running anything")
    p_chk.add_argument("config", type=Path, help="the city's .toml file")

    _add_study(sub)
    return parser


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--overwrite", action="store_true",
                   help="replace an output folder written by an earlier run")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def _add_study(sub) -> None:
    """Add the ``study`` command (or let :mod:`urbanrisk.study` add its own ``add_cli``)."""
    try:
        from urbanrisk import study
    except Exception:  # noqa: BLE001 - the study module is optional for the CLI
        return
    add = getattr(study, "add_cli", None)
    if callable(add):
        add(sub)
        return
    if not hasattr(study, "run_study"):
        return
    p = sub.add_parser("study", help="run many cities' profiles on dask.distributed")
    p.add_argument("config", type=Path, help="the study's .toml file")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--scheduler", default=None,
                   help="address of a running dask scheduler (tcp://host:8786); default: a "
                   "local cluster sized to the machine")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes of the local cluster")
    p.add_argument("--memory-limit", default=None, help="memory per local worker, e.g. 2GiB")
    p.add_argument("--force", action="store_true",
                   help="redo cities whose outputs are already complete")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_cmd_study)


def _cmd_study(args) -> int:
    from urbanrisk.study import run_study

    t0 = time.perf_counter()
    result = run_study(args.config, out=args.out, client=args.scheduler,
                       workers=args.workers, memory_limit=args.memory_limit,
                       force=args.force, progress=not args.no_progress)
    for o in result.outcomes:
        extra = f" at {o.stage}: {o.message}" if o.status == "failed" else ""
        print(f"  {o.city:<20} {o.status}{extra}")
    print(f"study written to {result.out} in {time.perf_counter() - t0:.1f} s")
    return EXIT_PARTIAL if any(o.status == "failed" for o in result.outcomes) else EXIT_OK


def _setup_logging(debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s" if debug else "%(levelname)s: %(message)s",
        stream=sys.stderr,
    )


def _run_and_export(config, out: Path, *, overwrite: bool, progress: bool) -> int:
    from urbanrisk.profile import CityProfile
    from urbanrisk.profile.export import check_output_folder

    check_output_folder(out, overwrite=overwrite)  # before any work
    profile = CityProfile(config).run(progress=progress)
    folder = profile.export(out, overwrite=overwrite, progress=progress)
    status = profile.status()
    print(f"{profile.city}: profile written to {folder}")
    for rec in status.to_dict(orient="records"):
        line = f"  {rec['analysis']:<10} {rec['status']:<8} {rec['reason']}".rstrip()
        print(line)
    report = folder / config.section("output")["report_name"]
    if report.exists():
        print(f"  report: {report}")
    failed = status[status["status"] == "failed"]
    if len(failed):
        print(f"{len(failed)} analysis(es) failed: {', '.join(failed['analysis'])}; the other "
              "outputs were written (see the report).", file=sys.stderr)
        return EXIT_PARTIAL
    return EXIT_OK


def _cmd_demo(args) -> int:
    from urbanrisk.profile import demo_config

    t0 = time.perf_counter()
    code = _run_and_export(demo_config(), args.out, overwrite=args.overwrite,
                           progress=not args.no_progress)
    print(f"demo finished in {time.perf_counter() - t0:.1f} s")
    return code


def _cmd_profile(args) -> int:
    from urbanrisk.profile import load_config

    t0 = time.perf_counter()
    cfg = load_config(args.config)  # every config problem reported before any work
    code = _run_and_export(cfg, args.out, overwrite=args.overwrite,
                           progress=not args.no_progress)
    print(f"finished in {time.perf_counter() - t0:.1f} s")
    return code


def _cmd_check(args) -> int:
    from urbanrisk.profile import load_config

    # opens every layer's header: units, nodata, rotation, bands, CRS, shared grids
    cfg = load_config(args.config)
    runs = [n for n in cfg.sections if "run" in cfg.sections[n] and cfg.wants(n)]
    print(f"{args.config}: OK ({cfg.city}; analyses: {', '.join(runs) or 'none'})")
    for note in cfg.notes:
        print(f"  note: {note}")
    return EXIT_OK


def _cmd_indicators(args) -> int:
    from urbanrisk.profile.indicators import registry_markdown, registry_table

    table = registry_table()
    if args.format == "markdown":
        sys.stdout.write(registry_markdown())
    elif args.format == "csv":
        table.to_csv(sys.stdout, index=False)
    else:
        for theme, group in table.groupby("theme", sort=False):
            print(f"[{theme}]")
            for rec in group.to_dict(orient="records"):
                print(f"  {rec['key']} ({rec['unit']}): {rec['title']}")
                print(f"      {rec['definition']}")
                print(f"      source: {rec['source']}")
    return EXIT_OK


_COMMANDS = {"demo": _cmd_demo, "profile": _cmd_profile, "indicators": _cmd_indicators,
             "check": _cmd_check}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring).

    Examples
    --------
    >>> main(["indicators", "--format", "csv"])  # doctest: +ELLIPSIS
    key,theme,title,unit,scenario,definition,source
    ...
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USER
    _setup_logging(args.debug)
    handler = _COMMANDS.get(args.command) or getattr(args, "func", None)
    if handler is None:  # pragma: no cover - a subcommand without a handler
        parser.error(f"unknown command {args.command}")
    if args.command in ("demo", "profile", "study"):
        import matplotlib

        matplotlib.use("Agg")
    from urbanrisk.errors import UrbanRiskError

    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (UrbanRiskError, FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        if args.debug:
            raise
        print(f"urbanrisk: error: {exc}", file=sys.stderr)
        return EXIT_USER
    except Exception as exc:  # a bug: say so, and how to get the details
        if args.debug:
            raise
        print(f"urbanrisk: internal error ({type(exc).__name__}: {exc}). This is a bug; "
              "rerun with --debug for the traceback and report it.", file=sys.stderr)
        return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

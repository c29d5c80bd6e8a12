"""Tooling commands (``sloppy build``, ``sloppy bench``, ``sloppy verify``): a click CLI.

The launcher hands argv here only for these subcommands; the GUI path never imports click.
It ships with the build tooling (``sloppy_build``, in the wheel and on an editable install's
path), so it needs no ``sys.path`` edit; the app bundle has neither.
"""

from __future__ import annotations

from pathlib import Path

import click

from sloppy.store import paths


@click.group()
def cli() -> None:
    """sloppy's release and benchmark tooling."""


@cli.command()
@click.option(
    "--dist",
    type=click.Path(path_type=Path),
    required=True,
    help="Output folder; the bundle lands in DIST/sloppy.",
)
@click.option(
    "--work",
    type=click.Path(path_type=Path),
    default=None,
    help="PyInstaller work files (default: a folder in the temp dir).",
)
@click.option(
    "--optimize",
    type=click.IntRange(0, 2),
    default=0,
    show_default=True,
    help="Bytecode optimisation level of the archive.",
)
@click.option(
    "--train",
    is_flag=True,
    help="Also run the training run and rewrite the committed warm plan in packaging/ (commit it).",
)
@click.option(
    "--current-env",
    is_flag=True,
    help="Freeze the packages of this environment instead of uv.lock's (development).",
)
def build(dist: Path, work: Path | None, optimize: int, train: bool, current_env: bool) -> None:
    """Freeze sloppy (onedir) from uv.lock's environment, verify it, write the release files."""
    from sloppy_build import build as run_build
    from sloppy_build.progress import Printer

    try:
        result = run_build(
            dist,
            work=work,
            optimize=optimize,
            train=train,
            current_env=current_env,
            report=Printer(),
        )
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(result.summary())


@cli.command()
@click.option("--dist", type=click.Path(path_type=Path, exists=True), required=True)
def verify(dist: Path) -> None:
    """Check a built release: every file against the manifest, the archive's checksum, each
    binary in the SBOM and the licences, size budget, --version, a headless start."""
    from sloppy_build import archive, sizes, stage3_verify

    bundle = paths.BUNDLE.root(dist)
    try:
        checks = {"size": sizes.check_budget(bundle)}
        checks.update(stage3_verify.release_files(dist, bundle))
        checks.update(stage3_verify.run(bundle))
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    for name, result in checks.items():
        click.echo(f"check {name}: {result}")
    click.echo(f"content hash: {archive.content_hash(bundle)}")


@cli.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,  # --help belongs to the script or to ``compare``
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args: tuple[str, ...]) -> None:
    """Cold-start benchmark (sloppy_build.bench.startup); ``bench compare BASE HEAD`` compares
    two builds, ``bench bisect GOOD BAD`` finds the commit that made start-up worse, ``bench
    history [RANGE]`` draws the recorded trend, ``bench record --from-json F`` records a
    comparison (sloppy_build.bench). Try: sloppy bench --help, sloppy bench compare --help."""
    if args[:1] and args[0] in ("compare", "bisect", "history", "record"):
        from sloppy_build.bench import command

        sub = getattr(command, f"{args[0]}_command")
        sub.main(args=list(args[1:]), prog_name=f"sloppy bench {args[0]}")
    from sloppy_build.bench.startup import main as bench_startup

    raise SystemExit(bench_startup(list(args)))


def main(argv: list[str]) -> int:
    """Run the CLI on ``argv``; returns the exit code instead of exiting."""
    try:
        # Not standalone: click returns ``ctx.exit``'s code instead of raising it.
        code = cli.main(args=argv, prog_name="sloppy", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        return 1
    except SystemExit as exc:
        return int(exc.code or 0)
    return code if isinstance(code, int) else 0

"""The docs stand alone and are true: nothing cites a file outside the repository, every
repository path they name exists, and docs/contracts.md names every flag, route, report field,
environment variable and benchmark metric the code has."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from sloppy_build import cli
from sloppy_build.bench import command, startup
from sloppy_build.bench.compare import METRICS
from sloppy_launcher import boot1_argv

from sloppy.app.report import StartupReport
from sloppy.warm.engine import WarmStatus
from sloppy.warm.warmlist import WARM_LIST
from tests.support import ROOT

#: What a file outside the repository is cited as (the repository must stand alone).
OUTSIDE = re.compile(r"ARCHITECTURE\.md|\.\./shared\b|(?<![\w.-])shared/ARCHITECTURE")
#: Folders at the repository root that a doc's path may start with.
TOP = ("src", "launcher", "build", "testkit", "tests", "scripts", "packaging", "docs", ".ci")
#: A repository path in a code span: `tests/ui/test_gui.py`, `docs/bench.md`, `src/sloppy/`.
_TOPS = "|".join(re.escape(t) for t in TOP)
PATH = re.compile(rf"`((?:{_TOPS})/[\w./-]*)(?:::(\w+))?`")
#: A module of the app named from its package: `warm/planner.py` is src/sloppy/warm/planner.py.
PACKAGED = re.compile(r"`((?:app|warm|ui|providers|store|hooks)/\w+\.py)`")
#: ``SLOPPY_*`` strings in the code that are not environment variables.
NOT_VARIABLES = {"SLOPPY_SOURCE"}  # a loader class attribute (where a module was loaded from)
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SRC = ROOT / "src" / "sloppy"
CONTRACTS = (ROOT / "docs" / "contracts.md").read_text()


def tracked_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
    ).stdout
    return [ROOT / name for name in out.decode().split("\0") if name]


def citations_outside(text: str) -> list[str]:
    return OUTSIDE.findall(text)


def test_no_tracked_file_cites_a_file_outside_the_repository() -> None:
    found = []
    this = Path(__file__).resolve()
    for path in tracked_files():
        if path.resolve() == this or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary files
        found += [f"{path.relative_to(ROOT)}: {hit}" for hit in citations_outside(text)]
    assert not found


@pytest.mark.parametrize(
    "text", ["see ARCHITECTURE.md", "in `../shared/seed/plan.md`", "/work/shared/ARCHITECTURE"]
)
def test_the_outside_check_sees_a_citation(text: str) -> None:
    assert citations_outside(text)


def missing_paths(text: str) -> list[str]:
    """Repository paths named in ``text`` that do not exist, and ``file::test`` citations whose
    test is not in the file (globs and placeholders skipped)."""
    missing = []
    for name, test in PATH.findall(text):
        if any(c in name for c in "*<>{}") or "..." in name:
            continue
        path = ROOT / name.rstrip("/")
        if not path.exists():
            missing.append(name)
        elif test and f"def {test}(" not in path.read_text():
            missing.append(f"{name}::{test}")
    missing += [name for name in PACKAGED.findall(text) if not (SRC / name).is_file()]
    return missing


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_repository_path_in_the_docs_exists(doc: Path) -> None:
    assert not missing_paths(doc.read_text())


def test_the_path_check_sees_a_missing_file() -> None:
    text = (
        "`src/sloppy/warm/list.py`, `tests/test_frozen.py::test_x`, `tests/test_docs.py::nope`,"
        " `store/atomic.py`"
    )
    assert missing_paths(text) == [
        "src/sloppy/warm/list.py",
        "tests/test_frozen.py",
        "tests/test_docs.py::nope",
        "store/atomic.py",
    ]
    assert not missing_paths(
        "`src/sloppy/warm/warmlist.py`, `docs/`, `tests/test_docs.py::missing_paths`, `ui/gui_2.py`"
    )


def code_spans(text: str) -> set[str]:
    """The inline code spans of a Markdown text (fenced blocks are dropped first)."""
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    # A span opens and closes with backtick runs of one length (``a `b` c`` is one span).
    spans = re.findall(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", prose, flags=re.S)
    return {body.strip() for _ticks, body in spans}


def named_in_contracts(names: set[str]) -> set[str]:
    """The names that docs/contracts.md does not mention in a code span."""
    spans = " ".join(code_spans(CONTRACTS))
    return {n for n in names if not re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", spans)}


def test_contracts_name_every_flag_of_the_app() -> None:
    flags = {s for a in boot1_argv._parser()._actions for s in a.option_strings if "--" in s}
    assert len(flags) >= 8
    assert not named_in_contracts(flags)


def test_contracts_name_every_route() -> None:
    source = (ROOT / "src" / "sloppy" / "hooks" / "routes.py").read_text()
    routes = set(re.findall(r"@app\.(?:get|post)\(\"([^\"]+)\"", source))
    assert "/api/send" in routes
    assert not named_in_contracts(routes)


def test_contracts_name_every_report_field() -> None:
    fields = set(StartupReport.__annotations__)
    assert {"input_frames", "chat_ready_epoch", "startup_path"} <= fields
    assert not named_in_contracts(fields)


def test_contracts_name_every_bench_metric() -> None:
    assert not named_in_contracts({m.name for m in METRICS})


def test_contracts_name_every_environment_variable() -> None:
    """Every ``SLOPPY_*`` variable that the code reads (or sets for a child it runs)."""
    found: set[str] = set()
    for folder in ("src", "launcher", "build"):
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(re.findall(r"\"(SLOPPY_[A-Z_]+)\"", path.read_text()))
    found |= set(re.findall(r"\"(SLOPPY_[A-Z_]+)\"", (ROOT / "sloppy.spec").read_text()))
    found -= NOT_VARIABLES
    assert {"SLOPPY_HOME", "SLOPPY_HOOK_KEY", "SLOPPY_WARM_CACHE"} <= found
    assert not named_in_contracts(found)


def test_the_contracts_check_sees_a_missing_name() -> None:
    assert named_in_contracts({"--no-such-flag", "/api/nothing"}) == {
        "--no-such-flag",
        "/api/nothing",
    }


def layout_row(folder: str) -> str:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| path | holds |") :].split("\n\n", 1)[0]
    return next(line for line in table.splitlines() if line.startswith(f"| `{folder}` |"))


def unknown_modules(row: str, package: Path) -> list[str]:
    """Module and package names in a README layout row that are not under ``package``."""
    names = {p.stem for p in package.rglob("*.py")} | {p.name for p in package.rglob("*/")}
    unknown = []
    for span in re.findall(r"`([^`]+)`", row)[1:]:
        name = span.rstrip("/")
        if not re.fullmatch(r"[a-z_][a-z0-9_]*\*?", name) or name.startswith("sloppy"):
            continue  # a command, a flag or a file name, not a module
        pattern = name[:-1] + "*" if name.endswith("*") else name
        if not any(Path(n).match(pattern) for n in names):
            unknown.append(name)
    return unknown


@pytest.mark.parametrize(
    "folder", ["src/sloppy/", "build/sloppy_build/", "launcher/sloppy_launcher/"]
)
def test_the_readme_layout_names_real_modules(folder: str) -> None:
    assert not unknown_modules(layout_row(folder), ROOT / folder)


def test_the_layout_check_sees_an_old_name() -> None:
    row = "| `src/sloppy/` | `warm/` (`list` what, `planner` + `profile` order, `markdown_*`) |"
    assert unknown_modules(row, SRC) == ["list", "profile"]


def test_design_says_where_every_warm_module_is_warmed() -> None:
    design = (ROOT / "docs" / "design.md").read_text()
    table = design[design.index("## Where is module X warmed") :].split("\n\n| question", 1)[0]
    assert not [e.module for e in WARM_LIST if e.module not in code_spans(table)]


def test_design_describes_every_layer() -> None:
    """Each layer of the import-linter contract in pyproject.toml has a row in docs/design.md."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    design = (ROOT / "docs" / "design.md").read_text()
    section = design[design.index("## Layers") :].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    names = [n.strip() for layer in layers for n in layer.split("|")]
    assert len(rows) == len(layers)
    assert all(any(f"`{n}`" in row for row in rows) for n in names)


def tooling_options() -> dict[str, set[str]]:
    """Every ``--option`` of each tooling command, from the click commands and argparse."""
    commands = {
        "build": cli.build,
        "verify": cli.verify,
        "bench compare": command.compare_command,
        "bench bisect": command.bisect_command,
        "bench history": command.history_command,
        "bench record": command.record_command,
    }
    out = {
        name: {o for p in cmd.params for o in p.opts if o.startswith("--")}
        for name, cmd in commands.items()
    }
    out["bench"] = {
        s for a in startup.parser()._actions for s in a.option_strings if s.startswith("--")
    } - {"--help"}
    out["install-desktop-entry"] = {"--remove", "--data-home"}
    return out


def test_contracts_name_every_tooling_option() -> None:
    """Each command's section of docs/contracts.md names each of its options."""
    options = tooling_options()
    assert sum(len(o) for o in options.values()) >= 30
    missing = {}
    for name, opts in options.items():
        heading = re.search(
            rf"^#+ (?:Command line: )?`sloppy {re.escape(name)}(?:`| [A-Z\[])", CONTRACTS, re.M
        )
        assert heading is not None, name
        section = CONTRACTS[heading.start() : CONTRACTS.find("\n#", heading.end())]
        spans = " ".join(code_spans(section))
        lost = {o for o in opts if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", spans)}
        if lost:
            missing[name] = lost
    assert not missing


def test_code_spans_pair_backtick_runs() -> None:
    assert code_spans("a ``x `y` z`` and `w`\n```\n`not` code\n```\n") == {"x `y` z", "w"}


def test_contracts_name_every_status_field() -> None:
    """``/api/status`` and the warm status answer what docs/contracts.md says they do."""
    source = (ROOT / "src" / "sloppy" / "hooks" / "routes.py").read_text()
    body = source[
        source.index("def status()") : source.index("@app.get", source.index("def status()"))
    ]
    fields = set(re.findall(r"\"(\w+)\":", body)) | set(WarmStatus.__annotations__)
    assert {"keys", "set_aside", "pending", "done"} <= fields
    assert not named_in_contracts(fields)

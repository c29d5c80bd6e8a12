"""One measured start of one side: spawn, wait (rusage), read the startup report and import log.

Public for every start-up benchmark (``scripts/benchmark_startup.py`` included): ``spawn``
(run a command to its end with its resource usage, stderr to a file), ``wait_rusage``,
``percentile`` and ``since``. The exact metrics come from the ``PYTHONPATH`` import shim for
source trees, and from the app's own startup report (``startup_path``) for bundles, whose
code bytes are read from the bundle (``BundleCode``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sloppy.store.paths import BUNDLE
from sloppy_build.bench import input_latency
from sloppy_build.bench.targets import BenchError, Target
from sloppy_build.bench.xvfb import start_xvfb

RUN_TIMEOUT_S = 180
CACHEGRIND_TIMEOUT_S = 240
#: What the first-frame (gui) or start-up (headless) import path is, for cachegrind.
#: The module each mode's start-up path ends in, newest layout first.
IMPORT_PATH = {
    "gui": ("sloppy.ui.gui_2", "sloppy.gui_2"),
    "headless": ("sloppy.app.headless", "sloppy.headless"),
}


@dataclass
class Run:
    """One start: timed values (None when the mode lacks them) and the import-path facts."""

    values: dict[str, float | None]
    path_modules: dict[str, str] = field(default_factory=dict)  # module -> its importer
    importers: dict[str, str] = field(default_factory=dict)  # every logged module -> importer


class Side:
    """BASE or HEAD: its own fresh home (or one shared with the other side), run counter."""

    def __init__(
        self, name: str, target: Target, work: Path, mode: str, home: Path | None = None
    ) -> None:
        self.name, self.target, self.mode = name, target, mode
        self.dir = work / name
        self.home = home or self.dir / "home"
        self.dir.mkdir(parents=True)
        self.count = 0
        self.cold_files: list[Path] = []
        self.code = BundleCode(target.root) if target.frozen else None

    def start(self, env: dict[str, str], *, cold: bool) -> Run:
        self.count += 1
        report = self.dir / f"report-{self.count}.json"
        log = None if self.target.frozen else self.dir / f"imports-{self.count}.log"
        child_env = self.target.env(env, import_log=log)
        child_env["SLOPPY_HOME"] = str(self.home)
        mode = ["--headless"] if self.mode == "headless" else []
        cmd = [
            *self.target.command(),
            *mode,
            "--exit-when-warm",
            "--startup-report",
            str(report),
        ]
        if cold:
            evict(self.cold_files)
        cwd = self.dir if self.target.frozen else self.target.root
        err_path = self.dir / f"stderr-{self.count}.txt"
        display = child_env.get("DISPLAY") if self.mode == "gui" else None
        with input_latency.driving(display, seed=self.count) as sends:  # moves the mouse
            spawned, code, usage = spawn(cmd, child_env, cwd, err_path, RUN_TIMEOUT_S)
        if code != 0:
            tail = err_path.read_bytes()[-800:].decode(errors="replace")
            raise BenchError(f"{self.name} ({self.target.label}) exited {code}: {tail}")
        try:
            data = json.loads(report.read_text())
        except (OSError, ValueError) as exc:
            raise BenchError(f"{self.name}: no readable startup report ({exc})") from exc
        run = measure(data, spawned, usage, log, self.mode, self.code)
        if self.mode == "gui":
            run.values |= input_latency.metrics(data, sends, percentile)
        return run


def spawn(
    cmd: list[str], env: dict[str, str], cwd: Path, stderr_path: Path, timeout_s: float
) -> tuple[float, int, Any]:
    """Run ``cmd`` to its end: ``(spawn epoch, exit code, rusage)``.

    stderr goes to a file, not a pipe: a chatty child must never block on a full pipe.
    """
    with stderr_path.open("wb") as err:
        spawned = time.time()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        status, usage = wait_rusage(proc, timeout_s)
    return spawned, os.waitstatus_to_exitcode(status), usage


def wait_rusage(proc: subprocess.Popen[bytes], timeout_s: float) -> tuple[int, Any]:
    """Reap ``proc`` with its resource usage (``os.wait4``): ``(wait status, rusage)``.

    Past ``timeout_s`` the child is killed and reaped, then ``BenchError`` is raised.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return status, usage
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise BenchError(f"a run did not finish in {timeout_s:.0f} s")
        time.sleep(0.005)


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) by nearest rank of the sorted values; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def since(report: dict[str, Any], key: str, spawned: float) -> float | None:
    """Seconds from ``spawned`` to the report's epoch ``key`` (None when it is missing)."""
    value = report.get(key)
    return None if value is None else float(value) - spawned


class BundleCode:
    """Code bytes of a bundle's modules: the PYZ entry (compressed code object), the entry of
    base_library.zip, or the extension module's file. Read once per bundle."""

    def __init__(self, bundle: Path) -> None:
        self.sizes: dict[str, int] = {}
        internal = bundle / BUNDLE.contents
        for path in internal.rglob("*"):
            name = _extension_module(path.relative_to(internal).as_posix())
            if name and path.is_file():
                self.sizes.setdefault(name, path.stat().st_size)
        with (
            contextlib.suppress(OSError, zipfile.BadZipFile),
            zipfile.ZipFile(internal / "base_library.zip") as zf,
        ):
            for info in zf.infolist():
                name = _module_name(info.filename.removesuffix(".pyc") + ".py")
                if name:
                    self.sizes[name] = info.compress_size
        with contextlib.suppress(Exception):  # not a PyInstaller bundle: sizes stay unknown
            from PyInstaller.archive.readers import CArchiveReader, ZlibArchiveReader

            reader = CArchiveReader(str(BUNDLE.exe(bundle)))
            pyz = next(n for n, e in reader.toc.items() if e[-1] == "z")
            with tempfile.TemporaryDirectory(prefix="sloppy-bench-pyz-") as tmp:
                path = Path(tmp) / "PYZ.pyz"
                path.write_bytes(reader.extract(pyz))
                for name, entry in ZlibArchiveReader(str(path)).toc.items():
                    self.sizes[name] = int(entry[-1])

    def size(self, module: str) -> int:
        return self.sizes.get(module, 0)


def _module_name(posix: str) -> str | None:
    if not posix.endswith(".py"):
        return None
    return posix[:-3].replace("/", ".").removesuffix(".__init__")


def _extension_module(posix: str) -> str | None:
    """``numpy/_core/_x.cpython-311-x86_64-linux-gnu.so`` -> ``numpy._core._x``."""
    stem, dot, suffix = posix.rpartition("/")[2].partition(".")
    if not dot or not re.fullmatch(r"(cpython-[^.]+\.|abi3\.)?(so|pyd)", suffix):
        return None
    parent = posix.rpartition("/")[0]
    for prefix in ("python3.", "lib-dynload"):
        if parent.startswith(prefix) or "/lib-dynload" in parent:
            return stem  # the standard library's extensions are top-level modules
    return ".".join([*filter(None, parent.split("/")), stem])


def measure(
    report: dict[str, Any],
    spawned: float,
    usage: Any,
    log: Path | None,
    mode: str,
    code: BundleCode | None = None,
) -> Run:
    """The metrics of one run from its report, rusage and import log (or, for a bundle, the
    report's own ``startup_path`` and the bundle's code sizes)."""
    frames = [float(t) for t in report.get("frame_times_ms") or []]
    values: dict[str, float | None] = {
        "first_frame_s": since(report, "first_frame_epoch", spawned) if mode == "gui" else None,
        "warm_done_s": since(report, "warm_done_epoch", spawned),
        "frame_p99_ms": percentile(frames, 0.99) if mode == "gui" else None,
        "peak_rss_mib": usage.ru_maxrss / 1024.0,
        "cpu_s": usage.ru_utime + usage.ru_stime,
    }
    run = Run(values)
    prefix = "first_frame" if mode == "gui" else "startup"
    total = 0
    if log is not None:
        cutoff = report.get("first_frame_epoch") if mode == "gui" else None
        if mode == "gui" and cutoff is None:
            raise BenchError("a gui run's report has no first_frame_epoch")
        for line in log.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) != 5:
                continue
            epoch, thread, name, importer, size = parts
            run.importers.setdefault(name, importer)
            # gui: everything loaded before the first frame; headless: the main thread's.
            on_path = float(epoch) < float(cutoff) if cutoff is not None else thread == "MainThread"
            if on_path and name not in run.path_modules:
                run.path_modules[name] = importer
                total += int(size)
    elif code is not None and isinstance(report.get("startup_path"), dict):
        modules = report["startup_path"].get("modules") or {}
        for name, importer in modules.items():
            run.path_modules[name] = importer or "?"
            run.importers[name] = importer or "?"
            total += code.size(name)
    else:
        return run  # a bundle from before the report had its start-up path
    values[f"{prefix}_modules"] = float(len(run.path_modules))
    values[f"{prefix}_code_kib"] = total / 1024.0
    return run


def chain(module: str, importers: dict[str, str], limit: int = 25) -> list[str]:
    """``module`` and the modules that imported it, innermost first, up to ``__main__``."""
    out = [module]
    while len(out) < limit:
        parent = importers.get(out[-1])
        if parent is None or parent in out:
            break
        out.append(parent)
        if parent not in importers:
            break
    return out


def instructions(target: Target, side: Side, env: dict[str, str], mode: str) -> float | None:
    """Millions of instructions (cachegrind) to import the start-up path; None without valgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None or target.frozen:
        return None
    out_file = side.dir / "cachegrind.out"
    child_env = target.env(env, import_log=None)
    child_env["PYTHONHASHSEED"] = "0"  # set and dict order, hence instruction counts, fixed
    code = f"import {target.entry_module}, {target.first_existing(IMPORT_PATH[mode])}"
    cmd = [
        valgrind,
        "--tool=cachegrind",
        "--cache-sim=no",
        f"--cachegrind-out-file={out_file}",
        sys.executable,
        "-c",
        code,
    ]
    try:
        proc = subprocess.run(
            cmd,
            check=False,
            env=child_env,
            cwd=target.root,
            capture_output=True,
            timeout=CACHEGRIND_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"cachegrind took more than {CACHEGRIND_TIMEOUT_S} s") from exc
    text = proc.stderr.decode(errors="replace")
    match = re.search(r"I\s+refs:\s+([\d,]+)", text)
    if proc.returncode != 0 or match is None:
        raise BenchError(f"cachegrind on {side.name} failed: {text[-600:]}")
    return int(match.group(1).replace(",", "")) / 1e6


def evict(files: list[Path]) -> None:
    """Drop ``files`` from the page cache so the next start reads them from disk."""
    if not hasattr(os, "posix_fadvise"):  # Windows, macOS
        raise BenchError("--cold needs posix_fadvise (Linux)")
    for path in files:
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def cold_files(side: Side) -> list[Path]:
    """What a start reads: the side's tree (with its bytecode) or bundle, site-packages, stdlib."""
    tree = side.target.root
    roots = [tree] if side.target.frozen else [tree / "launcher", tree / "src"]
    if not side.target.frozen:
        roots += [Path(p) for p in sys.path if p.endswith("site-packages")]
        roots.append(Path(sys.base_prefix) / "lib")
    return files_under(roots)


def files_under(roots: list[Path]) -> list[Path]:
    """Every regular file below the ``roots`` that exist (what ``evict`` is given)."""
    return [p for root in roots if root.is_dir() for p in root.rglob("*") if p.is_file()]


@contextlib.contextmanager
def display(mode: str) -> Iterator[str]:
    """``$DISPLAY``, or a private Xvfb for the comparison (gui mode)."""
    if mode != "gui" or os.environ.get("DISPLAY"):
        yield os.environ.get("DISPLAY", "")
        return
    if shutil.which("Xvfb") is None:
        raise BenchError(
            "gui mode needs DISPLAY or Xvfb (apt install xvfb); or use --mode headless"
        )
    try:
        proc, number = start_xvfb()
    except RuntimeError as exc:
        raise BenchError(str(exc)) from exc
    try:
        yield number
    finally:
        proc.terminate()
        proc.wait(5)

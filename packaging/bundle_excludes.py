"""What the bundle leaves out although a dependency pulls it in: one table, module -> why.

Each entry was checked against the recorded import profile of a full run (GUI, headless with
the hook server, one request to every provider) and is asserted never to load by
tests/test_bundle_contents.py (purity shim). sloppy.spec reads this table; docs/release.md
gives the sizes.
"""

EXCLUDES: dict[str, str] = {
    # numpy's parts that sloppy's charts never touch (numpy loads them lazily, on first use).
    "numpy.random": "not used (charts only)",
    "numpy.fft": "not used (charts only)",
    "numpy.polynomial": "not used (charts only)",
    "numpy.ma": "not used (charts only)",
    "numpy.f2py": "a build tool",
    "numpy.testing": "numpy's test helpers",
    "numpy._core._multiarray_tests": "numpy's test helpers",
    # Packaging tools some dependency hooks drag in.
    "setuptools": "a build tool",
    "pkg_resources": "a build tool (setuptools)",
    "distutils": "a build tool",
    # The interactive prompt's line editing (and libreadline, libtinfo with it).
    "readline": "interactive console only",
    # Dev-environment packages that optional imports would pull in (httpx's CLI, uvicorn's
    # log config); the isolated build environment does not have them, a --current-env
    # build must not ship them either.
    "yaml": "uvicorn's optional log-config format; sloppy configures logging itself",
    "rich": "httpx's optional command line",
    "pygments": "httpx's optional command line",
    "werkzeug": "schemathesis (dev) only",
    "hypothesis": "tests only",
}

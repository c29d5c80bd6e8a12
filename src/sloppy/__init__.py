"""sloppy: a desktop LLM chat client that shows its window first and warms its SDKs after.

This package's import must stay lean: it is on the path to the first frame.
"""

try:
    # Written by every build (wheel, editable install, bundle) from the release tag
    # (sloppy.vcs_version); a bare source tree has none.
    from sloppy._version import __version__
except ImportError:
    __version__ = "0+unknown"

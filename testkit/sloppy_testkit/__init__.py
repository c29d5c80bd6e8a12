"""Helpers shared by the tests and the benchmark scripts (not part of the shipped app).

Instead of tests putting ``scripts/`` on ``sys.path`` and scripts importing ``tests``, both
import from here: the provider stub, the hook API client, PNG writing and a keyring backend
that a sloppy subprocess can load by name. The editable install puts ``testkit/`` on the
path (``dev-mode-dirs`` in ``pyproject.toml``); the wheel and the bundle leave it out.
"""

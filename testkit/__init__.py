"""Helpers shared by the tests and the benchmark scripts (not part of the shipped app).

Instead of tests putting ``scripts/`` on ``sys.path`` and scripts importing ``tests``, both
import from here: the provider stub, the hook API client, a private Xvfb display, PNG writing.
Importable from a source checkout's venv (the editable install puts the checkout on the path).
"""

"""sloppy: a desktop LLM chat client that shows its window first and warms its SDKs after.

This package's import must stay lean: it is on the path to the first frame.
"""

__version__ = "0.1.0"

"""What sloppy keeps on disk: atomic writes, paths, settings, discussions, logs, API keys."""

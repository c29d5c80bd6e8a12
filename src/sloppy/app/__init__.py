"""The application: runtime and controller, headless shell, start-up profiler and report."""

"""The window: GUI shell, panels, palette, themes, markdown views (main thread)."""

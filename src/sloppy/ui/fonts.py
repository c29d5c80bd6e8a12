"""The markdown renderer's context and fonts, made on the GUI thread after the first frame.

ImGui 1.92 adds fonts at any time and rasterises glyphs on demand, so the markdown fonts
(imgui_bundle's Roboto regular, bold, italic and bold italic, at heading sizes, and its
monospace for code) are not in the first frame's atlas: rich_md loads them at its first
render, after the window is up.
"""

from __future__ import annotations

from collections.abc import Callable

from imgui_bundle import imgui, imgui_md

#: In imgui_bundle's assets (hello_imgui's asset search path): Roboto-{Regular,Bold,...}.ttf.
FONT_BASE = "fonts/Roboto/Roboto"

_context: imgui_md.Context | None = None


def ensure_context(on_link: Callable[[str], None]) -> None:
    """Create the markdown context once (GUI thread): text at the window's font size,
    headings by level, a newline is a line break (as in chat replies), links to ``on_link``,
    no images."""
    global _context
    if _context is not None:
        return
    options = imgui_md.MarkdownOptions()
    options.font_options.font_base_path = FONT_BASE
    options.font_options.regular_size = imgui.get_style().font_size_base
    # Headings keep rich_md's sizes (1.42x to 1.05x): ``header_size_factors`` is a numpy
    # array, and touching it would import numpy on the GUI thread.
    options.hard_soft_breaks = True
    options.callbacks.on_open_link = on_link
    # A reply is untrusted text: it names no local file to load and nothing to download.
    options.callbacks.on_image = _no_image
    imgui_md.set_download_function(_no_download)
    _context = imgui_md.create_context(options)
    imgui_md.set_current_context(_context)


def _no_image(_path: str) -> None:
    return None


def _no_download(_url: str) -> imgui_md.MarkdownDownloadResult:
    result = imgui_md.MarkdownDownloadResult()
    result.status = imgui_md.MarkdownDownloadStatus.failed
    result.error_message = "images are not downloaded"
    return result


def code_font() -> imgui_md.SizedFont:
    """The monospace font at the size a render would use now (after ``ensure_context``)."""
    return imgui_md.get_code_font()

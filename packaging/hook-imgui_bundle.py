"""PyInstaller hook for imgui_bundle (pyinstaller-hooks-contrib has none).

Collects the runtime assets hello_imgui loads (fonts, app settings), the bundled GLFW
library, and the pure-Python submodules imported from the compiled extension. The demos
(10 MB of demo sources and assets) are left out.
"""

from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs, collect_submodules

datas = collect_data_files("imgui_bundle", subdir="assets")
binaries = collect_dynamic_libs("imgui_bundle")
# imgui_terminal needs the optional 'pyte' package, which sloppy does not use.
SKIP = (".demos", "pyodide", "imgui_terminal")
hiddenimports = collect_submodules(
    "imgui_bundle", filter=lambda name: not any(s in name for s in SKIP), on_error="ignore"
)
excludedimports = ["imgui_bundle.demos_python", "imgui_bundle.demos_cpp"]

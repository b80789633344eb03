"""The Excel ribbon add-in: generate its sources, build `xlcsr.xlam`, install it.

    >>> from pathlib import Path
    >>> from xlcsr.excel.addin import build_addin, install_addin
    >>> install_addin(build_addin(Path("dist/xlcsr.xlam")))  # doctest: +SKIP

Modules, each usable alone: `ribbon` (customUI XML from the button table), `sources` (the texts
committed in macros/), `vba` + `cfb` + `ovba_patch` (the VBA project), `build` (the `.xlam`
package), `install` (Excel's add-in folder and xlwings' user config), `conf` (that config in the
code page VBA reads), `versions` (the tested xlwings, what an add-in was built with, `check_versions`).
"""

from __future__ import annotations

from xlcsr.excel.addin.build import build_addin
from xlcsr.excel.addin.install import addin_folder, install_addin, user_config_path
from xlcsr.excel.addin.ribbon import ribbon_xml
from xlcsr.excel.addin.sources import addin_sources, write_macros
from xlcsr.excel.addin.versions import TESTED_XLWINGS, built_with, check_versions, installed_xlwings

__all__ = ["TESTED_XLWINGS", "addin_folder", "addin_sources", "build_addin", "built_with", "check_versions",
           "install_addin", "installed_xlwings", "ribbon_xml", "user_config_path", "write_macros"]

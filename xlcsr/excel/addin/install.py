"""Install the add-in into Excel's add-in folder (Windows, macOS) and point xlwings at this Python.

    >>> from xlcsr.excel.addin.install import install_addin
    >>> install_addin()  # doctest: +SKIP
    WindowsPath('C:/Users/li/AppData/Roaming/Microsoft/AddIns/xlcsr.xlam')

Excel then lists 「xlcsr 顾客特殊要求」 under File → Options → Add-ins → Excel Add-ins → Go…; tick it once.
The interpreter goes to the add-in's user config file (`user_config_path`), which xlwings' VBA reads
when the workbook and the add-in carry no `xlcsr.conf` sheet; an existing file is left untouched.
VBA reads that file in the ANSI code page (GBK on Chinese Windows), so it is written in it, with an
8.3 short path for an interpreter the code page cannot hold (`xlcsr.excel.addin.conf`).
Linux has no Excel: `install_addin` raises `AddinUnsupported` there.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from xlcsr.disk.atomic import write_atomically
from xlcsr.domain.errors import AddinUnsupported
from xlcsr.excel.addin.build import ADDIN_NAME, build_addin
from xlcsr.excel.addin.conf import ShortPath, ansi_codepage, conf_bytes, vba_readable, windows_short_path
from xlcsr.excel.addin.sources import PROJECT_NAME

_MAC_OFFICE = Path("Library", "Group Containers", "UBF8T346G9.Office")
_MAC_EXCEL_DATA = Path("Library", "Containers", "com.microsoft.Excel", "Data")


def _system(platform: str | None) -> str:
    platform = sys.platform if platform is None else platform
    if platform.startswith("win"):
        return "windows"
    if platform == "darwin":
        return "mac"
    raise AddinUnsupported(
        f"此系统（{platform}）上没有 Excel：请把 {ADDIN_NAME} 复制到装有 Excel 的 Windows 或 Mac 电脑，"
        f"在那台电脑上运行 xlcsr addin install，或在 Excel 中通过「文件 → 选项 → 加载项 → 浏览」加载"
        f" / Excel does not run on {platform}: copy {ADDIN_NAME} to a Windows or Mac PC with Excel and run"
        f" `xlcsr addin install` there, or load it via File → Options → Add-ins → Browse"
    )


def addin_folder(platform: str | None = None, home: Path | None = None) -> Path:
    """Excel's per-user add-in folder: %APPDATA%\\Microsoft\\AddIns, or Office's Add-Ins on macOS."""
    home = Path.home() if home is None else Path(home)
    if _system(platform) == "windows":
        appdata = os.environ.get("APPDATA")
        return (Path(appdata) if appdata else home / "AppData" / "Roaming") / "Microsoft" / "AddIns"
    office = home / _MAC_OFFICE
    if (office / "User Content.localized").is_dir():  # Finder shows both as "User Content/Add-Ins"
        return office / "User Content.localized" / "Add-Ins.localized"
    return office / "User Content" / "Add-Ins"


def user_config_path(platform: str | None = None, home: Path | None = None) -> Path:
    """Where xlwings' VBA (PROJECT_NAME "xlcsr") looks for the user's settings file."""
    home = Path.home() if home is None else Path(home)
    if _system(platform) == "windows":
        return home / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf"
    return home / _MAC_EXCEL_DATA / f"{PROJECT_NAME}.conf"


def user_config_bytes(interpreter: str, platform: str | None = None, *, codepage: str | None = None,
                      short_path: ShortPath | None = windows_short_path) -> bytes:
    """The user config naming `interpreter`, in the encoding the add-in's VBA reads it with on `platform`.

    `codepage` defaults to `ansi_codepage` (`mbcs` on Windows); an interpreter path that code page
    cannot hold is written as its 8.3 short path, or refused (AddinUnsupported).
    """
    system = _system(platform)
    codepage = codepage or ansi_codepage(system)
    key = "INTERPRETER_WIN" if system == "windows" else "INTERPRETER_MAC"
    return conf_bytes({key: vba_readable(interpreter, codepage, short_path=short_path)}, codepage)


def write_user_config(interpreter: str, platform: str | None = None, home: Path | None = None, *,
                      codepage: str | None = None, short_path: ShortPath | None = windows_short_path) -> Path | None:
    """Write `"INTERPRETER_WIN"/"INTERPRETER_MAC","<interpreter>"` unless a config file exists already."""
    path = user_config_path(platform, home)
    if path.exists():
        return None
    data = user_config_bytes(interpreter, platform, codepage=codepage, short_path=short_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data, backup=False)
    return path


def install_addin(xlam: Path | None = None, *, platform: str | None = None, home: Path | None = None,
                  interpreter: str | None = sys.executable, codepage: str | None = None,
                  short_path: ShortPath | None = windows_short_path) -> Path:
    """Copy `xlam` (default: a freshly built add-in) into Excel's add-in folder; return the copy.

    Also writes the user config naming `interpreter` (this Python, which has xlcsr and xlwings)
    when there is none yet, in `codepage` (see `user_config_bytes`); pass `interpreter=None` to skip
    that. A config that cannot be written refuses the install before anything is copied.
    """
    folder = addin_folder(platform, home)
    config = user_config_path(platform, home)
    if interpreter and not config.exists():  # refuse before copying: an add-in without its Python cannot run
        user_config_bytes(interpreter, platform, codepage=codepage, short_path=short_path)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / ADDIN_NAME
    with tempfile.TemporaryDirectory(prefix="xlcsr-addin-") as scratch:
        source = Path(xlam) if xlam is not None else build_addin(Path(scratch) / ADDIN_NAME)
        if not source.is_file():
            raise AddinUnsupported(f"找不到加载项文件 {source} / add-in file not found: {source}")
        write_atomically(target, source.read_bytes(), backup=False)  # WorkbookBusy while Excel holds it
    if interpreter:
        write_user_config(interpreter, platform, home, codepage=codepage, short_path=short_path)
    return target

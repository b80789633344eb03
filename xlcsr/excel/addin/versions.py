"""Which xlwings the add-in was built with, which one runs it, and what to do when they differ.

    >>> from pathlib import Path
    >>> from xlcsr.excel.addin.versions import check_versions, installed_xlwings
    >>> installed_xlwings()  # doctest: +SKIP
    '0.37.8'
    >>> check_versions(Path("xlcsr.xlam"))  # doctest: +SKIP
    []

xlwings' VBA names its DLL after its own version (`xlwings64-0.37.8.dll`, `xlwings32-0.37.8.dll`) and
its macOS AppleScript too, so an add-in only works with the xlwings it was built from. The tested
versions are `TESTED_XLWINGS`, kept here only; `pyproject.toml` pins the last one (`PINNED_XLWINGS`).
`xlcsr addin build` refuses any other (`check_buildable`), writes the versions into the add-in (VBA
constants in the `xlcsr` module and custom document properties), and each button click passes them
back to `xlcsr.excel.dispatch`, which compares them with the running Python (`version_problems`).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from xml.etree import ElementTree

import xlcsr
from xlcsr.domain.errors import AddinUnsupported

TESTED_XLWINGS = ("0.37.8",)
"""The xlwings versions the add-in and the Excel front are tested with; the only place they are listed."""

PINNED_XLWINGS = TESTED_XLWINGS[-1]
"""The version `pyproject.toml` pins (`xlwings==…` in the `excel` extra) and the fix messages name."""

VERSION_PATTERN = r"[0-9A-Za-z.+!_-]{1,40}"
"""A version as it may stand inside VBA and Python string literals (no quotes, no spaces)."""

CUSTOM_PROPERTIES_PART = "docProps/custom.xml"
XLCSR_PROPERTY, XLWINGS_PROPERTY = "xlcsr_version", "xlwings_version"

_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
_VT = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"


@dataclass(frozen=True)
class BuiltWith:
    """The xlcsr and xlwings versions an add-in was built with."""

    xlcsr: str
    xlwings: str

    def __repr__(self) -> str:
        return f"<BuiltWith xlcsr {self.xlcsr}, xlwings {self.xlwings}>"


def installed_xlwings() -> str | None:
    """The version of the xlwings installed beside this xlcsr (read from its metadata, not imported)."""
    try:
        return metadata.version("xlwings")
    except metadata.PackageNotFoundError:
        return None


def running_xlcsr() -> str:
    """The version of this xlcsr."""
    return xlcsr.__version__


def fix_command() -> str:
    """What to type, with Excel closed, to bring the add-in and this Python back together."""
    return f"pip install xlwings=={PINNED_XLWINGS}，然后 xlcsr addin build 与 xlcsr addin install"


def check_buildable(xlwings_version: str | None) -> str:
    """Return `xlwings_version` when an add-in may be built against it; raise AddinUnsupported if not."""
    if xlwings_version is None:
        raise AddinUnsupported(f'生成加载项需要 xlwings {PINNED_XLWINGS}：pip install "xlcsr[excel]" / '
                               f"building the add-in needs xlwings {PINNED_XLWINGS}")
    if xlwings_version not in TESTED_XLWINGS:
        tested = "、".join(TESTED_XLWINGS)
        raise AddinUnsupported(
            f"本机 xlwings 为 {xlwings_version}，加载项只按已测试的 xlwings {tested} 生成：请运行 "
            f"pip install xlwings=={PINNED_XLWINGS} 后重试 / xlwings {xlwings_version} is installed, the add-in "
            f"is built only against the tested xlwings {', '.join(TESTED_XLWINGS)}: "
            f"pip install xlwings=={PINNED_XLWINGS}")
    return checked_version(xlwings_version)


def checked_version(version: str) -> str:
    """`version` if it can stand inside the add-in's VBA and Python string literals; else AddinUnsupported."""
    if not re.fullmatch(VERSION_PATTERN, version):
        raise AddinUnsupported(f"版本号 {version!r} 不能写入加载项 / version {version!r} cannot go into the add-in")
    return version


def version_problems(built: BuiltWith, xlwings_version: str | None, xlcsr_version: str) -> list[str]:
    """What is wrong between an add-in built with `built` and this Python (short Chinese lines, each with its fix)."""
    problems = []
    if xlwings_version is None:
        problems.append(f"本机 Python 未安装 xlwings（加载项按 xlwings {built.xlwings} 生成）。"
                        f"修复：关闭 Excel，运行 {fix_command()}")
    elif xlwings_version != built.xlwings:
        problems.append(f"加载项与 xlwings 版本不符：加载项按 {built.xlwings} 生成，本机为 {xlwings_version}。"
                        f"修复：关闭 Excel，运行 {fix_command()}")
    if xlcsr_version != built.xlcsr:
        problems.append(f"加载项与 xlcsr 版本不符：加载项由 xlcsr {built.xlcsr} 生成，本机为 {xlcsr_version}。"
                        f"修复：关闭 Excel，运行 xlcsr addin build 与 xlcsr addin install")
    return problems


def custom_properties_xml(built: BuiltWith) -> str:
    """`docProps/custom.xml` recording `built` (custom document properties, shown under File → Info)."""
    fmtid = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
    entries = "".join(
        f'<property fmtid="{fmtid}" pid="{pid}" name="{name}"><vt:lpwstr>{value}</vt:lpwstr></property>'
        for pid, (name, value) in enumerate(
            ((XLCSR_PROPERTY, checked_version(built.xlcsr)), (XLWINGS_PROPERTY, checked_version(built.xlwings))),
            start=2)
    )
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Properties xmlns="{_CUSTOM[1:-1]}" xmlns:vt="{_VT[1:-1]}">{entries}</Properties>')


def built_with(addin_path: Path) -> BuiltWith | None:
    """The versions recorded in the add-in at `addin_path`; None when it records none (or is no add-in)."""
    try:
        with zipfile.ZipFile(addin_path) as package:
            root = ElementTree.fromstring(package.read(CUSTOM_PROPERTIES_PART))
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return None
    values = {p.get("name"): (p.findtext(f"{_VT}lpwstr") or "").strip() for p in root.iter(f"{_CUSTOM}property")}
    if not values.get(XLCSR_PROPERTY) or not values.get(XLWINGS_PROPERTY):
        return None
    return BuiltWith(xlcsr=values[XLCSR_PROPERTY], xlwings=values[XLWINGS_PROPERTY])


def check_versions(addin_path: Path, *, xlwings_version: str | None = None,
                   xlcsr_version: str | None = None) -> list[str]:
    """Problems between the add-in at `addin_path` and this Python (default: the installed versions); [] when fine.

    For `xlcsr doctor`: each entry is one Chinese line saying what is wrong and how to fix it.
    """
    xlwings_version = installed_xlwings() if xlwings_version is None else xlwings_version
    xlcsr_version = running_xlcsr() if xlcsr_version is None else xlcsr_version
    path = Path(addin_path)
    if not path.is_file():
        return [f"找不到加载项 {path}。修复：关闭 Excel，运行 xlcsr addin install"]
    built = built_with(path)
    if built is None:
        return [f"加载项 {path.name} 未记录生成时的版本（不是 xlcsr addin build 生成的，或版本太旧）。"
                f"修复：关闭 Excel，运行 xlcsr addin build 与 xlcsr addin install"]
    problems = version_problems(built, xlwings_version, xlcsr_version)
    if xlwings_version is not None and xlwings_version not in TESTED_XLWINGS and xlwings_version == built.xlwings:
        problems.append(f"本机 xlwings {xlwings_version} 未经测试。修复：关闭 Excel，运行 {fix_command()}")
    return problems

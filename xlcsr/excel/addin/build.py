"""Build the Excel add-in `xlcsr.xlam` on any OS: ribbon XML + VBA project in an OOXML add-in package.

    >>> from pathlib import Path
    >>> from xlcsr.excel.addin.build import build_addin
    >>> build_addin(Path("dist/xlcsr.xlam"))  # doctest: +SKIP
    PosixPath('dist/xlcsr.xlam')

The package holds one worksheet, `_xlcsr.conf`: an inactive xlwings config sheet (rename it to
`xlcsr.conf` inside the add-in to give every user the same interpreter; see `xlcsr.excel.addin.sources`).
The same sources always build the same bytes (fixed zip times, fixed project id and seeds).
What it was built with (xlcsr, xlwings) is in the `xlcsr` module's constants and in
`docProps/custom.xml` (see `xlcsr.excel.addin.versions`).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape

from xlcsr.disk.atomic import check_unlocked, write_atomically
from xlcsr.domain.errors import AddinUnsupported
from xlcsr.excel.addin.sources import addin_sources, declared_xlwings, dispatcher_built_with, stamp_dispatcher
from xlcsr.excel.addin.versions import (
    CUSTOM_PROPERTIES_PART,
    BuiltWith,
    check_buildable,
    custom_properties_xml,
    installed_xlwings,
    running_xlcsr,
)
from xlcsr.ooxml.styles import MINIMAL_STYLES

ADDIN_NAME = "xlcsr.xlam"
CONFIG_SHEET = "_xlcsr.conf"
VBA_FILES = ("xlcsr.bas", "xlwings.bas", "Dictionary.cls")

ADDIN_MAIN = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
VBA_PROJECT = "application/vnd.ms-office.vbaProject"
UI_EXTENSIBILITY = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
CUSTOM_UI_PART = "customUI/customUI14.xml"
VBA_PROJECT_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"

_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_OD = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"

CONFIG_ROWS = (  # xlwings setting, example value, note (column C is ignored by xlwings)
    ("Interpreter_Win", r"%LOCALAPPDATA%\Programs\Python\Python311\python.exe",
     "将本表改名为 xlcsr.conf 即生效，优先于 %USERPROFILE%\\.xlcsr\\xlcsr.conf / "
     "rename this sheet to xlcsr.conf to apply it to every user of this add-in"),
    ("Interpreter_Mac", "$HOME/.venv/bin/python", ""),
)


def build_addin(out: Path = Path(ADDIN_NAME), *, sources: Mapping[str, str] | None = None,
                xlwings_version: str | None = None) -> Path:
    """Write the add-in to `out` (a folder gets `xlcsr.xlam`) from `sources` (default: `addin_sources()`).

    Built against `xlwings_version` (default: the installed xlwings), which must be one of
    `TESTED_XLWINGS` and the version the xlwings module in `sources` names; the add-in records it and
    this xlcsr's version (AddinUnsupported otherwise, before anything is written).
    """
    version = check_buildable(installed_xlwings() if xlwings_version is None else xlwings_version)
    built = BuiltWith(xlcsr=running_xlcsr(), xlwings=version)
    texts = dict(addin_sources(built) if sources is None else sources)
    declared = declared_xlwings(texts["xlwings.bas"])
    if declared != version:
        raise AddinUnsupported(
            f"xlwings.bas 来自 xlwings {declared or '（版本不明）'}，本机 xlwings 为 {version}：请用本机 xlwings"
            f" 重新生成源文件（write_macros）后再生成加载项 / xlwings.bas is from xlwings {declared or '?'},"
            f" the installed xlwings is {version}: refresh the sources first")
    texts["xlcsr.bas"] = stamp_dispatcher(texts["xlcsr.bas"], built)
    out = Path(out)
    if out.is_dir():
        out = out / ADDIN_NAME
    check_unlocked(out)
    write_atomically(out, addin_bytes(texts), backup=False)
    return out


def addin_bytes(sources: Mapping[str, str]) -> bytes:
    """The `.xlam` package (a zip) built from the source texts named as in macros/.

    The versions the dispatcher module records (`BUILT_XLWINGS`, `BUILT_XLCSR`) also go into the
    custom document properties, where `xlcsr.excel.addin.versions.built_with` reads them back.
    """
    try:  # ms-ovba comes with the excel extra; the rest of xlcsr runs without it
        from xlcsr.excel.addin.vba import (
            WORKBOOK_BASE,
            WORKSHEET_BASE,
            document_module,
            module_from_text,
            vba_project_bin,
        )
    except ImportError:
        raise AddinUnsupported('生成加载项需要 ms-ovba：pip install "xlcsr[excel]" / '
                               "building the add-in needs ms-ovba") from None
    built = dispatcher_built_with(sources["xlcsr.bas"])
    if built is None:
        raise AddinUnsupported("xlcsr.bas 未记录生成时的版本（BUILT_XLWINGS / BUILT_XLCSR）/ "
                               "xlcsr.bas records no built-with versions")
    modules = [document_module("ThisWorkbook", WORKBOOK_BASE), document_module("Sheet1", WORKSHEET_BASE)]
    modules += [module_from_text(sources[name]) for name in VBA_FILES]
    parts = {
        "[Content_Types].xml": _content_types(),
        "_rels/.rels": _relationships([
            ("rId1", f"{_OD}/officeDocument", "xl/workbook.xml"),
            ("rId2", "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
             "docProps/core.xml"),
            ("rId3", f"{_OD}/extended-properties", "docProps/app.xml"),
            ("rId4", UI_EXTENSIBILITY, CUSTOM_UI_PART),
            ("rId5", f"{_OD}/custom-properties", CUSTOM_PROPERTIES_PART),
        ]),
        "docProps/core.xml": _CORE,
        "docProps/app.xml": _APP,
        CUSTOM_PROPERTIES_PART: custom_properties_xml(built),
        CUSTOM_UI_PART: sources["customUI.xml"],
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _relationships([
            ("rId1", f"{_OD}/worksheet", "worksheets/sheet1.xml"),
            ("rId2", f"{_OD}/styles", "styles.xml"),
            ("rId3", VBA_PROJECT_REL, "vbaProject.bin"),
        ]),
        "xl/worksheets/sheet1.xml": _config_sheet(),
        "xl/styles.xml": MINIMAL_STYLES,
        "xl/vbaProject.bin": vba_project_bin(modules),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in parts.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(info, content.encode("utf-8") if isinstance(content, str) else content)
    return buffer.getvalue()


def _content_types() -> str:
    overrides = [
        ("/xl/workbook.xml", ADDIN_MAIN),
        ("/xl/worksheets/sheet1.xml", f"{_SHEET_TYPE}.worksheet+xml"),
        ("/xl/styles.xml", f"{_SHEET_TYPE}.styles+xml"),
        ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
        ("/docProps/app.xml", "application/vnd.openxmlformats-officedocument.extended-properties+xml"),
        (f"/{CUSTOM_PROPERTIES_PART}", "application/vnd.openxmlformats-officedocument.custom-properties+xml"),
    ]
    return (
        _DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Default Extension="bin" ContentType="{VBA_PROJECT}"/>'
        + "".join(f'<Override PartName="{part}" ContentType="{kind}"/>' for part, kind in overrides)
        + "</Types>"
    )


def _relationships(rels: list[tuple[str, str, str]]) -> str:
    return (
        _DECL + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>' for rid, kind, target in rels)
        + "</Relationships>"
    )


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def _config_sheet() -> str:
    rows = "".join(
        f'<row r="{n}">' + "".join(_cell(f"{col}{n}", text) for col, text in zip("ABC", row) if text) + "</row>"
        for n, row in enumerate(CONFIG_ROWS, start=1)
    )
    return (
        _DECL + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_OD}">'
        '<sheetPr codeName="Sheet1"/><dimension ref="A1:C2"/>'
        '<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        '<cols><col min="1" max="1" width="18" customWidth="1"/><col min="2" max="2" width="60" customWidth="1"/>'
        "</cols>"
        f"<sheetData>{rows}</sheetData></worksheet>"
    )


_WORKBOOK = (
    _DECL + f'<workbook xmlns="{_MAIN}" xmlns:r="{_OD}">'
    '<fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="27328"/>'
    '<workbookPr codeName="ThisWorkbook" defaultThemeVersion="166925"/>'
    '<bookViews><workbookView xWindow="0" yWindow="0" windowWidth="16000" windowHeight="9000"/></bookViews>'
    f'<sheets><sheet name="{CONFIG_SHEET}" sheetId="1" r:id="rId1"/></sheets>'
    '<calcPr calcId="191029"/></workbook>'
)


_CORE = (
    _DECL + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:title>xlcsr 顾客特殊要求</dc:title><dc:creator>xlcsr</dc:creator>"
    "<dc:description>顾客特殊要求清单的 Excel 功能区加载项 / Excel ribbon add-in for the CSR register</dc:description>"
    "</cp:coreProperties>"
)

_APP = (
    _DECL + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>Microsoft Excel</Application></Properties>"
)

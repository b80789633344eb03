"""The VBA project of the add-in (`xl/vbaProject.bin`), written with the `ms-ovba` package.

    >>> from xlcsr.excel.addin.vba import VbaModule, vba_project_bin
    >>> code = 'Attribute VB_Name = "Hello"\\r\\nSub Hello()\\r\\nEnd Sub\\r\\n'
    >>> vba_project_bin([VbaModule("Hello", "module", code)])[:4]
    b'\\xd0\\xcf\\x11\\xe0'

The project holds source code only (no compiled p-code, `_VBA_PROJECT` version 0xFFFF): Excel
compiles it when the add-in is first opened. `ms-ovba` renders the streams (`PROJECT`, `PROJECTwm`,
`VBA/_VBA_PROJECT`, `VBA/dir` and one compressed stream per module, MS-OVBA) from its in-memory
views; `xlcsr.excel.addin.cfb` puts them in the OLE container, because ms-ovba's own file writer
(`ProjectOleFile`) works in the current directory and its container library corrupts some sizes.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ms_ovba.Models.Entities.doc_module import DocModule
from ms_ovba.Models.Entities.module_base import ModuleBase
from ms_ovba.Models.Entities.reference import Reference
from ms_ovba.Models.Entities.reference_registered import ReferenceRegistered
from ms_ovba.Models.Entities.std_module import StdModule
from ms_ovba.Models.Fields.libid_reference import LibidReference
from ms_ovba.vbaProject import VbaProject
from ms_ovba.Views.dirStream import DirStream
from ms_ovba.Views.project import Project
from ms_ovba.Views.project_view import ProjectView
from ms_ovba.Views.projectWm import ProjectWm

from xlcsr.excel.addin.cfb import compound_file
from xlcsr.excel.addin.ovba_patch import compressor

Kind = Literal["module", "class", "document"]

PROJECT_ID = "{6C1E2F0A-3D5B-4C8E-9A7F-2B4D6E8F1A3C}"
"""Fixed, so that the same sources build the same bytes."""

WORKBOOK_BASE = "{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "{00020820-0000-0000-C000-000000000046}"
CLASS_BASE = "{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"

REFERENCES = (  # (name, type library GUID, version, path, description), as Excel writes them
    ("stdole", "00020430-0000-0000-C000-000000000046", "2.0",
     r"C:\Windows\System32\stdole2.tlb", "OLE Automation"),
    ("Office", "2DF8D04C-5BFA-101B-BDE5-00AA0044DE52", "2.0",
     r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL", "Microsoft Office 16.0 Object Library"),
)


@dataclass(frozen=True)
class VbaModule:
    """One VBA module: its name, kind and the source text stored in its stream (CR LF endings)."""

    name: str
    kind: Kind
    source: str

    def __repr__(self) -> str:
        return f"<VbaModule {self.kind} {self.name}: {self.source.count(chr(10))} lines>"


def document_module(name: str, base: str) -> VbaModule:
    """The code module behind the workbook (`WORKBOOK_BASE`) or a worksheet (`WORKSHEET_BASE`)."""
    lines = [f'Attribute VB_Name = "{name}"', f'Attribute VB_Base = "0{base}"',
             "Attribute VB_GlobalNameSpace = False", "Attribute VB_Creatable = False",
             "Attribute VB_PredeclaredId = True", "Attribute VB_Exposed = True",
             "Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = True"]
    return VbaModule(name, "document", "\r\n".join(lines) + "\r\n")


def module_from_text(text: str) -> VbaModule:
    """A module from an exported `.bas` or `.cls` text; the name comes from its `VB_Name` attribute."""
    match = re.search(r'^Attribute VB_Name = "([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise ValueError("VBA source without an 'Attribute VB_Name' line")
    if not text.startswith("VERSION 1.0 CLASS"):
        return VbaModule(match.group(1), "module", text)
    return VbaModule(match.group(1), "class", class_stream_source(text))


def class_stream_source(exported: str) -> str:
    """An exported `.cls` as a class module stream holds it: no VERSION/BEGIN header, VB_Base added."""
    lines = exported.split("\r\n")
    body = lines[lines.index("END") + 1:]
    out = []
    for line in body:
        out.append(line)
        if line.startswith("Attribute VB_Name = "):
            out.append(f'Attribute VB_Base = "0{CLASS_BASE}"')
        elif line.startswith("Attribute VB_Exposed = "):
            out += ["Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = False"]
    return "\r\n".join(out)


class _ClassModule(ModuleBase):
    """ms-ovba has no class module: it is a `Class=` line in PROJECT and MODULETYPE 0x0022 in dir."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.type = "Class"

    def pack(self, endien: str, cp_name: str) -> bytes:
        self.type = "Document"  # ModuleBase.pack writes 0x0022 for "Document" only
        try:
            return super().pack(endien, cp_name)
        finally:
            self.type = "Class"


def _ms_ovba_module(module: VbaModule) -> ModuleBase:
    if module.kind == "document":
        return DocModule(module.name)
    if module.kind == "class":
        return _ClassModule(module.name)
    return StdModule(module.name)


def vba_project_bin(modules: Sequence[VbaModule]) -> bytes:
    """The OLE compound file of a VBA project holding `modules` (sources must be Windows-1252 text)."""
    project = VbaProject()
    project.project_id = PROJECT_ID
    project.include_projectwm()
    project.add_attribute("VersionCompatible32", "393222000")  # as Excel writes it
    for name, guid, version, path, description in REFERENCES:
        libid = LibidReference(uuid.UUID(guid), version, "0", path, description)
        project.add_reference(Reference(ReferenceRegistered(libid), name))
    ovba = compressor()
    streams = {}
    for module in modules:
        entry = _ms_ovba_module(module)
        project.add_module(entry)
        source = module.source.encode(project.codepage_name)
        streams[f"VBA/{module.name}"] = entry.cache + ovba.compress(source)  # MODULEOFFSET = len(cache)
    streams["VBA/dir"] = ovba.compress(DirStream(project).to_bytes())
    streams["VBA/_VBA_PROJECT"] = ProjectView(project).to_bytes()
    streams["PROJECT"] = _project_stream(project)
    streams["PROJECTwm"] = ProjectWm(project).to_bytes()
    return compound_file(streams)


def _project_stream(project: VbaProject) -> bytes:
    """The PROJECT stream; its CMG/DPB/GC obfuscation draws random seeds, fixed here so builds repeat."""
    state = random.getstate()
    random.seed(PROJECT_ID)
    try:
        return Project(project).to_bytes()
    finally:
        random.setstate(state)

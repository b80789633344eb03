"""The Excel add-in: ribbon ↔ button table, committed macros/, the VBA project read back by oletools,
the patched MS-OVBA compressor, the OLE container, LibreOffice's VBA import, install and CLI."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import olefile
import pytest
from books import needs
from ms_ovba_compression.ms_ovba import MsOvba
from oletools.olevba import VBA_Parser, decompress_stream
from typer.testing import CliRunner

from xlcsr.cli.addin import addin_app
from xlcsr.domain.errors import AddinUnsupported, XlcsrError
from xlcsr.excel.addin import build as build_module
from xlcsr.excel.addin import build_addin, install_addin, ribbon_xml
from xlcsr.excel.addin.cfb import compound_file
from xlcsr.excel.addin.install import addin_folder, user_config_path
from xlcsr.excel.addin.ovba_patch import UPSTREAM_COPYTOKEN_HELP, compressor, copytoken_help
from xlcsr.excel.addin.sources import (
    MACROS_DIR,
    SOURCE_NAMES,
    TAG_PATTERN,
    addin_sources,
    crlf,
    dispatcher_bas,
    read_macros,
    xlwings_bas,
)
from xlcsr.excel.addin.vba import class_stream_source
from xlcsr.excel.buttons import BUTTONS

UI = "{http://schemas.microsoft.com/office/2009/07/customui}"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@pytest.fixture(scope="module")
def xlam(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The add-in built once from the committed macros/ (which the freshness tests tie to the generators)."""
    return build_addin(tmp_path_factory.mktemp("addin") / "xlcsr.xlam", sources=read_macros(MACROS_DIR))


def ribbon_buttons(xml: str) -> list[ElementTree.Element]:
    return ElementTree.fromstring(xml.encode("utf-8")).findall(f".//{UI}button")


# --- ribbon and the button table -------------------------------------------------------------

def test_button_tags_are_unique_and_pass_the_vba_guard() -> None:
    tags = [b.tag for b in BUTTONS]
    assert len(tags) == len(set(tags))
    assert all(re.fullmatch(TAG_PATTERN, tag) for tag in tags)


def test_ribbon_has_one_tab_and_one_button_per_table_entry() -> None:
    root = ElementTree.fromstring(ribbon_xml().encode("utf-8"))
    assert root.tag == f"{UI}customUI"
    [tab] = root.findall(f".//{UI}tab")
    assert (tab.get("id"), tab.get("label")) == ("xlcsrTab", "顾客特殊要求")
    for element, button in zip(ribbon_buttons(ribbon_xml()), BUTTONS, strict=True):
        assert element.attrib == {
            "id": f"xlcsr_{button.tag}", "tag": button.tag, "label": button.label, "imageMso": button.image,
            "size": "large", "screentip": button.label, "supertip": button.tip, "onAction": "xlcsr_button"}
    groups = {g.get("label"): [b.get("tag") for b in g.findall(f"{UI}button")] for g in tab.findall(f"{UI}group")}
    assert groups == {group: [b.tag for b in BUTTONS if b.group == group] for group in {b.group for b in BUTTONS}}


def test_committed_customui_tags_are_the_table_tags_and_vice_versa() -> None:
    committed = (MACROS_DIR / "customUI.xml").read_text(encoding="utf-8")
    assert sorted(b.get("tag") for b in ribbon_buttons(committed)) == sorted(b.tag for b in BUTTONS)


def test_every_ribbon_tag_names_a_live_action() -> None:
    button_actions = pytest.importorskip("xlcsr.excel.button_actions")
    committed = (MACROS_DIR / "customUI.xml").read_text(encoding="utf-8")
    by_tag = {b.tag: b for b in BUTTONS}
    for element in ribbon_buttons(committed):
        assert callable(getattr(button_actions, by_tag[element.get("tag")].action))


def test_a_new_table_entry_is_a_new_group_and_button() -> None:
    from xlcsr.excel.buttons import Button

    extra = Button("remind", "发送提醒", "MailMergeStartLetters", "预览后发送提醒邮件", "remind_book", group="提醒")
    xml = ribbon_xml((*BUTTONS, extra))
    assert [b.get("tag") for b in ribbon_buttons(xml)][-1] == "remind"
    assert 'label="提醒"' in xml


# --- committed macros/ are what the generators produce ---------------------------------------

HOW_TO_REFRESH = 'refresh with: python -c "from xlcsr.excel.addin import write_macros; write_macros()"'


def test_committed_customui_is_fresh() -> None:
    assert (MACROS_DIR / "customUI.xml").read_bytes() == ribbon_xml().encode("utf-8"), HOW_TO_REFRESH


def test_committed_dispatcher_is_fresh() -> None:
    assert (MACROS_DIR / "xlcsr.bas").read_bytes() == dispatcher_bas().encode("utf-8"), HOW_TO_REFRESH


def test_dispatcher_guards_the_tag_and_calls_dispatch() -> None:
    text = (MACROS_DIR / "xlcsr.bas").read_bytes().decode("ascii")
    assert text.startswith('Attribute VB_Name = "xlcsr"\r\n') and "\n" not in text.replace("\r\n", "")
    assert "Public Sub xlcsr_button(control As IRibbonControl)" in text
    assert 'Like "[a-z_]"' in text
    assert ("""RunPython "import xlcsr.excel as x; x.dispatch('" & tag & "', built='" & BUILT_XLWINGS & _\r\n"""
            """        "', xlcsr='" & BUILT_XLCSR & "')\"""") in text
    assert "If ActiveWorkbook Is Nothing Then" in text  # RunPython needs one; say so instead of error 91


def test_dispatcher_messages_decode_to_chinese() -> None:
    text = (MACROS_DIR / "xlcsr.bas").read_bytes().decode("ascii")
    codes = re.findall(r'Zh\("([0-9A-F ]+)"\)', text) + re.findall(r'TITLE As String = "([0-9A-F ]+)"', text)
    assert ["".join(chr(int(c, 16)) for c in group.split()) for group in codes] == [
        "未知按钮", "请先打开或新建一个工作簿", "顾客特殊要求"]


def test_committed_xlwings_vba_matches_the_installed_xlwings() -> None:
    committed = read_macros(MACROS_DIR)
    assert "Public Function RunPython(PythonCommand As String)" in committed["xlwings.bas"]
    assert 'Public Const PROJECT_NAME As String = "xlcsr"' in committed["xlwings.bas"]
    assert "ActiveWorkbook.FullName" in committed["xlwings.bas"]  # the custom add-in variant
    version = re.search(r'XLWINGS_VERSION As String = "([^"]+)"', committed["xlwings.bas"]).group(1)
    import xlwings

    if version == xlwings.__version__:
        installed = addin_sources()
        assert committed["xlwings.bas"] == installed["xlwings.bas"], HOW_TO_REFRESH
        assert committed["Dictionary.cls"] == installed["Dictionary.cls"], HOW_TO_REFRESH


def test_xlwings_bas_is_the_custom_addin_module_renamed() -> None:
    import xlwings

    original = (Path(xlwings.__file__).parent / "xlwings_custom_addin.bas").read_text(encoding="utf-8")
    ours = xlwings_bas()
    assert ours.replace('PROJECT_NAME As String = "xlcsr"', 'PROJECT_NAME As String = "myaddin"') == crlf(original)


# --- the patched MS-OVBA compressor ----------------------------------------------------------

def _texts() -> list[tuple[str, bytes]]:
    vba = (MACROS_DIR / "xlwings.bas").read_bytes()
    rng = random.Random(20261125)
    words = [b"Dim ", b"As String", b"End If\r\n", b"RunPython ", b"xlcsr", b"    ", b"' note\r\n", b"Then"]
    wordy = b"".join(rng.choice(words) for _ in range(3000))
    cases = []
    for size in (0, 1, 2, 3, 10, 64, 255, 1000, 4095, 4096, 4097, 8192, 9000, 13000):
        cases += [(f"vba-{size}", vba[:size]), (f"words-{size}", wordy[:size]), (f"a-{size}", b"a" * size),
                  (f"abc-{size}", b"abc" * (size // 3))]
    for size in (100, 3000, 4096):  # incompressible: random bytes (a whole 4096 chunk is stored raw)
        cases.append((f"random-{size}", rng.randbytes(size)))
    cases.append(("late-repeat", rng.randbytes(3000) + b"xy" * 548))  # long copy tokens deep in a chunk
    return cases


@pytest.mark.parametrize(("name", "data"), _texts(), ids=[name for name, _ in _texts()])
def test_patched_compressor_round_trips_through_oletools(name: str, data: bytes) -> None:
    compressed = compressor().compress(data)
    assert bytes(decompress_stream(bytearray(compressed))) == data


def test_patch_follows_ms_ovba_max_length_rule() -> None:
    for difference in (1, 16, 17, 100, 1000, 4095):
        bit_count = MsOvba.ceil_log2(difference)
        assert copytoken_help(difference)["maxLength"] == (0xFFFF >> bit_count) + 3
    compressor()
    assert MsOvba.copytoken_help(100) == copytoken_help(100)


def test_unpatched_compressor_breaks_long_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    if UPSTREAM_COPYTOKEN_HELP(16)["maxLength"] == copytoken_help(16)["maxLength"]:
        pytest.skip("the installed ms-ovba-compression is fixed upstream; the patch is no longer applied")
    monkeypatch.setattr(MsOvba, "copytoken_help", staticmethod(UPSTREAM_COPYTOKEN_HELP))
    data = (MACROS_DIR / "xlwings.bas").read_bytes()[:9000]
    try:
        result = bytes(decompress_stream(bytearray(MsOvba().compress(data))))
    except Exception:  # oletools may also reject the stream outright
        result = None
    assert result != data


# --- the OLE container -------------------------------------------------------------------------

@pytest.mark.parametrize("sizes", [[0, 1, 64], [4095, 4096, 4097], [70_000, 10], [3000] * 30, [300_000]])
def test_compound_file_streams_read_back_with_olefile(sizes: list[int]) -> None:
    rng = random.Random(sum(sizes))
    streams = {("VBA/" if i % 2 else "") + f"s{i}": rng.randbytes(n) for i, n in enumerate(sizes)}
    ole = olefile.OleFileIO(compound_file(streams), raise_defects=olefile.DEFECT_INCORRECT)
    assert {"/".join(p) for p in ole.listdir()} == set(streams)
    assert all(ole.openstream(path).read() == data for path, data in streams.items())


def test_compound_file_directory_is_a_search_tree() -> None:
    """Readers find a stream by walking left/right siblings: shorter names first, then upper-case order."""
    names = ["dir", "_VBA_PROJECT", "xlcsr", "xlwings", "Dictionary", "ThisWorkbook", "Sheet1", "a", "B", "c"]
    ole = olefile.OleFileIO(compound_file({f"VBA/{n}": b"x" for n in names}))
    entries = ole.direntries
    vba = next(e for e in entries if e is not None and e.name == "VBA")
    for name in names:
        sid = vba.sid_child
        while entries[sid].name != name:
            key, here = (len(name), name.upper()), (len(entries[sid].name), entries[sid].name.upper())
            sid = entries[sid].sid_left if key < here else entries[sid].sid_right
            assert sid != olefile.NOSTREAM, name


# --- the built add-in --------------------------------------------------------------------------

def test_xlam_is_a_zip_with_addin_content_types_and_relationships(xlam: Path) -> None:
    with zipfile.ZipFile(xlam) as package:
        assert package.testzip() is None
        names = set(package.namelist())
        types = ElementTree.fromstring(package.read("[Content_Types].xml"))
        rels = ElementTree.fromstring(package.read("_rels/.rels"))
        book_rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
        custom_ui = package.read("customUI/customUI14.xml").decode("utf-8")
        workbook = package.read("xl/workbook.xml").decode("utf-8")
    defaults = {d.get("Extension"): d.get("ContentType") for d in types.findall(f"{CT}Default")}
    overrides = {o.get("PartName"): o.get("ContentType") for o in types.findall(f"{CT}Override")}
    assert defaults["bin"] == "application/vnd.ms-office.vbaProject"
    assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
    for name in names - {"[Content_Types].xml"}:
        assert f"/{name}" in overrides or name.rsplit(".", 1)[-1] in defaults, name

    package_rels = {r.get("Type").rsplit("/", 1)[-1]: r.get("Target") for r in rels.findall(f"{REL}Relationship")}
    assert package_rels["officeDocument"] == "xl/workbook.xml"
    ui = [r for r in rels.findall(f"{REL}Relationship")
          if r.get("Type") == "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"]
    assert [r.get("Target") for r in ui] == ["customUI/customUI14.xml"]
    assert custom_ui == ribbon_xml()
    book_targets = {r.get("Type").rsplit("/", 1)[-1]: r.get("Target") for r in book_rels.findall(f"{REL}Relationship")}
    assert book_targets["vbaProject"] == "vbaProject.bin"
    assert {f"xl/{t}" for t in book_targets.values()} | set(package_rels.values()) <= names
    assert 'codeName="ThisWorkbook"' in workbook and 'name="_xlcsr.conf"' in workbook


def test_vba_project_streams(xlam: Path) -> None:
    with zipfile.ZipFile(xlam) as package:
        ole = olefile.OleFileIO(package.read("xl/vbaProject.bin"), raise_defects=olefile.DEFECT_INCORRECT)
    assert {"/".join(p) for p in ole.listdir()} == {
        "PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT", "VBA/ThisWorkbook", "VBA/Sheet1",
        "VBA/xlcsr", "VBA/xlwings", "VBA/Dictionary"}
    project = ole.openstream("PROJECT").read().decode("cp1252").split("\r\n")
    assert project[1:6] == ["Document=ThisWorkbook/&H00000000", "Document=Sheet1/&H00000000",
                            "Module=xlcsr", "Module=xlwings", "Class=Dictionary"]
    assert ole.openstream("VBA/_VBA_PROJECT").read()[:4] == b"\xcc\x61\xff\xff"  # no p-code cache


def test_vba_sources_read_back_identical_with_olevba(xlam: Path) -> None:
    parser = VBA_Parser(str(xlam))
    assert parser.detect_vba_macros()
    modules = {name: code for _, _, name, code in parser.extract_macros()}
    parser.close()
    committed = read_macros(MACROS_DIR)
    assert set(modules) == {"ThisWorkbook.cls", "Sheet1.cls", "xlcsr.bas", "xlwings.bas", "Dictionary.cls"}
    assert modules["xlcsr.bas"] == committed["xlcsr.bas"]
    assert modules["xlwings.bas"] == committed["xlwings.bas"]
    assert modules["Dictionary.cls"] == class_stream_source(committed["Dictionary.cls"])
    assert 'Attribute VB_Base = "0{00020819-0000-0000-C000-000000000046}"' in modules["ThisWorkbook.cls"]


def test_build_is_reproducible_and_accepts_a_folder(xlam: Path, tmp_path: Path) -> None:
    again = build_addin(tmp_path, sources=read_macros(MACROS_DIR))
    assert again == tmp_path / "xlcsr.xlam"
    assert again.read_bytes() == xlam.read_bytes()


def test_build_refuses_an_addin_open_in_excel(tmp_path: Path) -> None:
    (tmp_path / "~$xlcsr.xlam").write_bytes(b"lock")
    with pytest.raises(XlcsrError, match="正在 Excel 中打开"):
        build_addin(tmp_path / "xlcsr.xlam", sources=read_macros(MACROS_DIR))


@pytest.mark.soffice
def test_libreoffice_imports_the_vba_project(xlam: Path, tmp_path: Path) -> None:
    """LibreOffice's VBA filter turns every module into Basic; the ODS copy carries them as XML."""
    needs(shutil.which("soffice") is not None, "LibreOffice (soffice)")
    command = ["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
               "--infilter=Calc MS Excel 2007 VBA XML", "--convert-to", "ods", "--outdir", str(tmp_path), str(xlam)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "xlcsr.ods") as ods:
        basic = {name: ods.read(name).decode("utf-8") for name in ods.namelist() if name.startswith("Basic/VBAProject/")}
    assert {"Basic/VBAProject/xlcsr.xml", "Basic/VBAProject/xlwings.xml", "Basic/VBAProject/Dictionary.xml"} <= set(basic)
    assert "x.dispatch(&apos;&quot; &amp; tag &amp; &quot;&apos;, built=&apos;&quot; &amp; BUILT_XLWINGS" in \
        basic["Basic/VBAProject/xlcsr.xml"]
    assert "Public Function RunPython(PythonCommand As String)" in basic["Basic/VBAProject/xlwings.xml"]
    assert 'script:moduleType="class"' in basic["Basic/VBAProject/Dictionary.xml"]


# --- install -------------------------------------------------------------------------------------

@pytest.fixture
def small_xlam(tmp_path: Path) -> Path:
    path = tmp_path / "dist" / "xlcsr.xlam"
    path.parent.mkdir()
    path.write_bytes(b"PK-not-really-an-addin")
    return path


def test_install_on_linux_explains_where_excel_runs(small_xlam: Path, tmp_path: Path) -> None:
    with pytest.raises(AddinUnsupported) as caught:
        install_addin(small_xlam, platform="linux", home=tmp_path)
    assert "Windows" in str(caught.value) and "Mac" in str(caught.value) and "没有 Excel" in str(caught.value)
    assert isinstance(caught.value, XlcsrError)


def test_install_on_windows_copies_into_appdata_addins_and_records_python(
        small_xlam: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    home = tmp_path / "home"
    installed = install_addin(small_xlam, platform="win32", home=home, interpreter=r"C:\Py\python.exe")
    assert installed == tmp_path / "Roaming" / "Microsoft" / "AddIns" / "xlcsr.xlam"
    assert installed.read_bytes() == small_xlam.read_bytes()
    config = user_config_path("win32", home)
    assert config == home / ".xlcsr" / "xlcsr.conf"
    assert config.read_text(encoding="utf-8") == '"INTERPRETER_WIN","C:\\Py\\python.exe"\n'
    config.write_text('"INTERPRETER_WIN","D:\\mine\\python.exe"\n', encoding="utf-8")
    install_addin(small_xlam, platform="win32", home=home, interpreter=r"C:\Py\python.exe")
    assert "D:\\mine" in config.read_text(encoding="utf-8")  # the user's own setting is kept


def test_install_on_mac_uses_the_office_addins_folder(small_xlam: Path, tmp_path: Path) -> None:
    installed = install_addin(small_xlam, platform="darwin", home=tmp_path, interpreter="/opt/py/bin/python3")
    office = tmp_path / "Library" / "Group Containers" / "UBF8T346G9.Office"
    assert installed == office / "User Content" / "Add-Ins" / "xlcsr.xlam" and installed.is_file()
    (office / "User Content.localized").mkdir()
    assert addin_folder("darwin", tmp_path) == office / "User Content.localized" / "Add-Ins.localized"
    config = tmp_path / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "xlcsr.conf"
    assert config.read_text(encoding="utf-8") == '"INTERPRETER_MAC","/opt/py/bin/python3"\n'


def test_install_without_a_file_builds_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_build(out: Path) -> Path:
        out.write_bytes(b"built")
        return out

    monkeypatch.setattr("xlcsr.excel.addin.install.build_addin", fake_build)
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    installed = install_addin(platform="win32", home=tmp_path, interpreter=None)
    assert installed.read_bytes() == b"built" and not user_config_path("win32", tmp_path).exists()


# --- command line --------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_build_writes_the_addin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr("xlcsr.cli.addin.build_addin", lambda out: calls.append(out) or out)
    result = runner.invoke(addin_app, ["build", "--out", str(tmp_path / "dist" / "x.xlam")])
    assert result.exit_code == 0, result.output
    assert calls == [tmp_path / "dist" / "x.xlam"] and "x.xlam" in result.output


def test_cli_install_on_linux_is_exit_two_with_one_message(small_xlam: Path, monkeypatch) -> None:
    from xlcsr.cli.app import app

    monkeypatch.setattr("sys.platform", "linux")
    result = runner.invoke(app, ["addin", "install", "--xlam", str(small_xlam)])
    assert result.exit_code == 2
    assert result.output.count("错误 / error:") == 1 and "没有 Excel" in result.output


@pytest.mark.parametrize("command", ["build", "install"])
def test_cli_commands_have_bilingual_help_with_an_example(command: str) -> None:
    result = runner.invoke(addin_app, [command, "--help"])
    assert result.exit_code == 0
    assert re.search(r"[\u4e00-\u9fff]", result.output) and f"Example: xlcsr addin {command}" in result.output


def test_source_names_are_the_committed_files() -> None:
    assert sorted(p.name for p in MACROS_DIR.iterdir()) == sorted(SOURCE_NAMES)
    assert build_module.VBA_FILES == tuple(n for n in SOURCE_NAMES if n != "customUI.xml")


def test_the_cli_imports_without_ms_ovba() -> None:
    """`xlcsr` must start on an install without the excel extra; only `addin build` needs ms-ovba."""
    code = "import sys, xlcsr.cli.addin; sys.exit(any(m.startswith('ms_ovba') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_build_without_ms_ovba_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "xlcsr.excel.addin.vba", None)
    with pytest.raises(AddinUnsupported, match=r"xlcsr\[excel\]"):
        build_module.addin_bytes(read_macros(MACROS_DIR))

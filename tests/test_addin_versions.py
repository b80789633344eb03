"""The add-in and the Python it calls stay matched (issue 14, items 1 and 2).

Matched versions: pyproject pins the tested xlwings, the build names the DLL of the xlwings it builds
against and refuses untested ones, the .xlam records what it was built with (read back with oletools
and `built_with`), and a click from a mismatched add-in gets one dialog instead of the button.
Configuration VBA can read: `xlcsr.conf` in the ANSI code page, read back the way xlwings' VBA reads it.
"""

from __future__ import annotations

import re
import tomllib
import zipfile
from datetime import date
from importlib import metadata
from pathlib import Path

import pytest
from books import GOOD_ROW, write_register
from fake_excel import FakeExcel
from oletools.olevba import VBA_Parser

import xlcsr
from xlcsr.domain.errors import AddinUnsupported, XlcsrError
from xlcsr.excel import dispatch
from xlcsr.excel.addin import build_addin, install_addin, versions
from xlcsr.excel.addin import conf as conf_module
from xlcsr.excel.addin.conf import ansi_codepage, conf_bytes, read_conf, vba_readable, windows_short_path
from xlcsr.excel.addin.install import addin_folder, user_config_bytes, user_config_path
from xlcsr.excel.addin.sources import (
    MACROS_DIR,
    addin_sources,
    declared_xlwings,
    read_macros,
    set_xlwings_version,
    stamp_dispatcher,
)
from xlcsr.excel.addin.versions import (
    PINNED_XLWINGS,
    TESTED_XLWINGS,
    BuiltWith,
    built_with,
    check_buildable,
    check_versions,
    checked_version,
    installed_xlwings,
    version_problems,
)

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 25)
CHINESE_PYTHON = r"C:\Users\李强\AppData\Local\Programs\Python\Python311\python.exe"
INSTALLED = installed_xlwings()


def vba_modules(xlam: Path) -> dict[str, str]:
    parser = VBA_Parser(str(xlam))
    try:
        return {name: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def dll_names(vba: str) -> set[str]:
    return set(re.findall(r"xlwings(?:32|64)-[^\"]+?\.dll", vba))


def vba_constant(vba: str, name: str) -> str:
    return re.search(rf'Const {name} As String = "([^"]*)"', vba).group(1)


def cjk_first(message: str) -> bool:
    return bool(re.match(r"[\u4e00-\u9fff]", message))


# --- the pin ----------------------------------------------------------------------------------------

def test_pyproject_pins_exactly_the_tested_xlwings() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"]) + [r for extra in project["optional-dependencies"].values()
                                                    for r in extra]
    xlwings = [r for r in requirements if re.match(r"xlwings\b", r)]
    assert xlwings == [f"xlwings=={PINNED_XLWINGS}"]
    assert xlwings[0] in project["optional-dependencies"]["excel"]
    assert PINNED_XLWINGS in TESTED_XLWINGS


def test_the_installed_xlwings_is_the_tested_one() -> None:
    assert INSTALLED == metadata.version("xlwings") and INSTALLED in TESTED_XLWINGS


# --- the build ---------------------------------------------------------------------------------------

def test_build_names_the_dll_of_the_installed_xlwings_and_records_both_versions(tmp_path: Path) -> None:
    xlam = build_addin(tmp_path / "xlcsr.xlam")
    modules = vba_modules(xlam)
    assert dll_names(modules["xlwings.bas"]) == {f"xlwings64-{INSTALLED}.dll", f"xlwings32-{INSTALLED}.dll"}
    assert vba_constant(modules["xlwings.bas"], "XLWINGS_VERSION") == INSTALLED
    assert vba_constant(modules["xlcsr.bas"], "BUILT_XLWINGS") == INSTALLED
    assert vba_constant(modules["xlcsr.bas"], "BUILT_XLCSR") == xlcsr.__version__
    assert built_with(xlam) == BuiltWith(xlcsr=xlcsr.__version__, xlwings=INSTALLED)
    assert check_versions(xlam) == []


def test_build_writes_the_version_it_builds_against_not_a_hard_coded_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(versions, "TESTED_XLWINGS", (*TESTED_XLWINGS, "0.38.1"))
    xlam = build_addin(tmp_path / "xlcsr.xlam", xlwings_version="0.38.1")
    modules = vba_modules(xlam)
    assert dll_names(modules["xlwings.bas"]) == {"xlwings64-0.38.1.dll", "xlwings32-0.38.1.dll"}
    assert vba_constant(modules["xlwings.bas"], "XLWINGS_VERSION") == "0.38.1"
    assert "0.37.8" not in modules["xlwings.bas"] and "0.37.8" not in modules["xlcsr.bas"]
    assert vba_constant(modules["xlcsr.bas"], "BUILT_XLWINGS") == "0.38.1"
    assert built_with(xlam).xlwings == "0.38.1"
    [problem] = check_versions(xlam, xlwings_version=INSTALLED)
    assert "0.38.1" in problem and INSTALLED in problem


@pytest.mark.parametrize("version", ["0.38.0", "0.30.0", "0.37.7"])
def test_build_refuses_an_untested_xlwings_in_one_line_naming_both_versions(tmp_path: Path, version: str) -> None:
    with pytest.raises(AddinUnsupported) as caught:
        build_addin(tmp_path / "xlcsr.xlam", xlwings_version=version)
    message = str(caught.value)
    assert "\n" not in message and cjk_first(message) and " / " in message
    assert version in message and PINNED_XLWINGS in message and f"pip install xlwings=={PINNED_XLWINGS}" in message
    assert not (tmp_path / "xlcsr.xlam").exists()


def test_build_reads_the_installed_xlwings_and_refuses_when_it_is_untested_or_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("xlcsr.excel.addin.build.installed_xlwings", lambda: "0.39.0")
    with pytest.raises(AddinUnsupported, match=r"0\.39\.0.*0\.37\.8"):
        build_addin(tmp_path / "xlcsr.xlam")
    monkeypatch.setattr("xlcsr.excel.addin.build.installed_xlwings", lambda: None)
    with pytest.raises(AddinUnsupported, match=r"xlcsr\[excel\]"):
        build_addin(tmp_path / "xlcsr.xlam")
    assert not (tmp_path / "xlcsr.xlam").exists()


def test_build_refuses_sources_whose_xlwings_module_is_another_version(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The committed macros/xlwings.bas mixed with another xlwings would name the wrong DLL."""
    monkeypatch.setattr(versions, "TESTED_XLWINGS", (*TESTED_XLWINGS, "0.38.1"))
    with pytest.raises(AddinUnsupported) as caught:
        build_addin(tmp_path / "xlcsr.xlam", sources=read_macros(MACROS_DIR), xlwings_version="0.38.1")
    assert "0.37.8" in str(caught.value) and "0.38.1" in str(caught.value) and "\n" not in str(caught.value)


def test_build_stamps_the_dispatcher_whatever_its_source_says(tmp_path: Path) -> None:
    sources = read_macros(MACROS_DIR)
    sources["xlcsr.bas"] = stamp_dispatcher(sources["xlcsr.bas"], BuiltWith(xlcsr="9.9.9", xlwings="0.0.1"))
    modules = vba_modules(build_addin(tmp_path / "xlcsr.xlam", sources=sources))
    assert vba_constant(modules["xlcsr.bas"], "BUILT_XLWINGS") == INSTALLED
    assert vba_constant(modules["xlcsr.bas"], "BUILT_XLCSR") == xlcsr.__version__


def test_versions_that_could_break_out_of_a_string_literal_are_refused() -> None:
    for bad in ["0.1'; import os; '", '0.1"', "0.1 0", ""]:
        with pytest.raises(AddinUnsupported):
            checked_version(bad)
    with pytest.raises(AddinUnsupported):
        stamp_dispatcher(read_macros(MACROS_DIR)["xlcsr.bas"], BuiltWith(xlcsr="0.1')", xlwings=INSTALLED))


def test_set_xlwings_version_rewrites_every_dll_and_the_constant() -> None:
    original = read_macros(MACROS_DIR)["xlwings.bas"]
    assert declared_xlwings(original) == "0.37.8"
    stamped = set_xlwings_version(original, "0.40.2")
    assert declared_xlwings(stamped) == "0.40.2"
    assert len(dll_names(original)) == 2 and dll_names(stamped) == {"xlwings64-0.40.2.dll", "xlwings32-0.40.2.dll"}
    assert stamped.count("0.40.2") == original.count("0.37.8")
    with pytest.raises(AddinUnsupported):
        set_xlwings_version('Attribute VB_Name = "xlwings"\r\n', "0.40.2")
    assert declared_xlwings(original.replace("xlwings64-0.37.8.dll", "xlwings64-0.37.9.dll", 1)) is None


def test_check_buildable_accepts_only_tested_versions() -> None:
    assert [check_buildable(v) for v in TESTED_XLWINGS] == list(TESTED_XLWINGS)
    with pytest.raises(XlcsrError):
        check_buildable("0.99.0")


def test_addin_sources_default_records_the_installed_versions() -> None:
    sources = addin_sources()
    assert vba_constant(sources["xlcsr.bas"], "BUILT_XLWINGS") == INSTALLED
    assert vba_constant(sources["xlcsr.bas"], "BUILT_XLCSR") == xlcsr.__version__
    assert declared_xlwings(sources["xlwings.bas"]) == INSTALLED


# --- reading the versions back (for `xlcsr doctor`) -----------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_addin(tmp_path_factory.mktemp("versions") / "xlcsr.xlam")


def test_check_versions_reports_each_mismatch_with_its_fix(built: Path) -> None:
    assert check_versions(built, xlwings_version=INSTALLED, xlcsr_version=xlcsr.__version__) == []
    [xlwings_problem, xlcsr_problem] = check_versions(built, xlwings_version="0.38.0", xlcsr_version="0.2.0")
    assert "xlwings" in xlwings_problem and INSTALLED in xlwings_problem and "0.38.0" in xlwings_problem
    assert f"pip install xlwings=={PINNED_XLWINGS}" in xlwings_problem and "xlcsr addin install" in xlwings_problem
    assert "0.2.0" in xlcsr_problem and xlcsr.__version__ in xlcsr_problem and "xlcsr addin build" in xlcsr_problem
    assert all(cjk_first(p) and "\n" not in p for p in (xlwings_problem, xlcsr_problem))


def test_check_versions_without_xlwings_installed(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(versions, "installed_xlwings", lambda: None)
    [problem] = check_versions(built)
    assert "未安装 xlwings" in problem and f"pip install xlwings=={PINNED_XLWINGS}" in problem


def test_check_versions_on_missing_foreign_and_broken_files(tmp_path: Path) -> None:
    [missing] = check_versions(tmp_path / "nope.xlam")
    assert "找不到加载项" in missing and "xlcsr addin install" in missing
    foreign = tmp_path / "foreign.xlam"
    with zipfile.ZipFile(foreign, "w") as package:
        package.writestr("xl/workbook.xml", "<workbook/>")
    broken = tmp_path / "broken.xlam"
    broken.write_bytes(b"PK-not-really-an-addin")
    for path in (foreign, broken):
        assert built_with(path) is None
        [problem] = check_versions(path)
        assert "未记录" in problem and "xlcsr addin build" in problem


def test_the_recorded_versions_are_custom_document_properties(built: Path) -> None:
    with zipfile.ZipFile(built) as package:
        custom = package.read("docProps/custom.xml").decode("utf-8")
        types = package.read("[Content_Types].xml").decode("utf-8")
        rels = package.read("_rels/.rels").decode("utf-8")
    assert f'name="xlwings_version"><vt:lpwstr>{INSTALLED}</vt:lpwstr>' in custom
    assert f'name="xlcsr_version"><vt:lpwstr>{xlcsr.__version__}</vt:lpwstr>' in custom
    assert 'PartName="/docProps/custom.xml"' in types and 'Target="docProps/custom.xml"' in rels


# --- the click ----------------------------------------------------------------------------------------

def runpython_command(xlcsr_bas: str, tag: str) -> str:
    """The Python command the dispatcher's RunPython line builds for `tag` (VBA `&` and `_` continuations)."""
    statement = re.search(r"^ *RunPython (.*?)\r\n(?! )", xlcsr_bas.replace(" _\r\n", " "), re.MULTILINE).group(1)
    values = {"tag": tag, "BUILT_XLWINGS": vba_constant(xlcsr_bas, "BUILT_XLWINGS"),
              "BUILT_XLCSR": vba_constant(xlcsr_bas, "BUILT_XLCSR")}
    parts = []
    for literal, name in re.findall(r'\s*(?:"((?:[^"]|"")*)"|([A-Za-z_]\w*))\s*(?:&|$)', statement):
        parts.append(values[name] if name else literal.replace('""', '"'))
    return "".join(parts)


def test_the_click_passes_the_built_with_versions_to_dispatch(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    command = runpython_command(vba_modules(built)["xlcsr.bas"], "validate")
    assert command == (f"import xlcsr.excel as x; x.dispatch('validate', built='{INSTALLED}', "
                       f"xlcsr='{xlcsr.__version__}')")
    assert '"' not in command  # xlwings puts the command inside a cmd.exe "…" argument
    calls = []
    monkeypatch.setattr("xlcsr.excel.dispatch", lambda tag, **kwargs: calls.append((tag, kwargs)))
    exec(command, {})  # what the interpreter runs after xlwings' prepare_sys_path
    assert calls == [("validate", {"built": INSTALLED, "xlcsr": xlcsr.__version__})]


def register_excel(tmp_path: Path) -> FakeExcel:
    return FakeExcel.from_file(write_register(tmp_path / "live.xlsx", [GOOD_ROW]))


def test_a_mismatched_addin_shows_one_dialog_and_does_not_run_the_button(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    excel = register_excel(tmp_path)
    before = {name: dict(sheet.values) for name, sheet in excel.sheets.items()}
    monkeypatch.setattr(versions, "installed_xlwings", lambda: "0.38.0")
    message = dispatch("validate", book=excel.book(), today=TODAY, built=INSTALLED, xlcsr=xlcsr.__version__)
    assert excel.alerts == [message]
    assert message.startswith("加载项与本机 Python 不匹配") and "按钮未运行" in message
    assert f"加载项按 {INSTALLED} 生成，本机为 0.38.0" in message
    assert f"pip install xlwings=={PINNED_XLWINGS}" in message
    assert "xlcsr addin build" in message and "xlcsr addin install" in message
    assert {name: dict(sheet.values) for name, sheet in excel.sheets.items()} == before


def test_an_addin_from_another_xlcsr_is_told_to_rebuild(tmp_path: Path) -> None:
    excel = register_excel(tmp_path)
    message = dispatch("validate", book=excel.book(), today=TODAY, built=INSTALLED, xlcsr="0.0.9")
    assert "xlcsr 0.0.9" in message and xlcsr.__version__ in message and "xlcsr addin build" in message
    assert "校验结果" not in excel.sheets


def test_a_matched_addin_runs_the_button(tmp_path: Path) -> None:
    excel = register_excel(tmp_path)
    message = dispatch("validate", book=excel.book(), today=TODAY, built=INSTALLED, xlcsr=xlcsr.__version__)
    assert "不匹配" not in message and excel.alerts == [message]


def test_version_problems_is_pure() -> None:
    same = BuiltWith(xlcsr="0.1.0", xlwings="0.37.8")
    assert version_problems(same, "0.37.8", "0.1.0") == []
    assert len(version_problems(same, "0.38.0", "0.2.0")) == 2
    assert "未安装 xlwings" in version_problems(same, None, "0.1.0")[0]


# --- xlcsr.conf as VBA reads it ----------------------------------------------------------------------

def vba_read(data: bytes, codepage: str) -> dict[str, str]:
    """xlwings' GetConfigFromFile: `Open … For Input` (ANSI, bad bytes become '?') and `Input #key, value`."""
    settings = {}
    for raw in re.split(rb"\r\n|\r|\n", data):
        if not raw.strip():
            continue
        line = raw.decode(codepage, errors="replace")
        fields = re.findall(r'\s*(?:"([^"]*)"|([^,]*))\s*(?:,|$)', line)
        key, value = (quoted or bare.strip() for quoted, bare in fields[:2])
        settings[key] = value
    return settings


def test_a_chinese_user_folder_round_trips_through_the_ansi_reader() -> None:
    data = user_config_bytes(CHINESE_PYTHON, "win32", codepage="gbk", short_path=None)
    assert data == f'"INTERPRETER_WIN","{CHINESE_PYTHON}"\r\n'.encode("gbk")
    assert vba_read(data, "gbk") == {"INTERPRETER_WIN": CHINESE_PYTHON}
    assert read_conf(data, "gbk") == {"INTERPRETER_WIN": CHINESE_PYTHON}


def test_the_old_utf8_config_fails_the_ansi_reader() -> None:
    """What install.py wrote before: VBA on Chinese Windows read another path, and every button failed."""
    old = f'"INTERPRETER_WIN","{CHINESE_PYTHON}"\n'.encode()
    assert vba_read(old, "gbk")["INTERPRETER_WIN"] != CHINESE_PYTHON


def test_install_writes_the_config_in_the_code_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    xlam = tmp_path / "xlcsr.xlam"
    xlam.write_bytes(b"PK")
    install_addin(xlam, platform="win32", home=tmp_path / "李强", interpreter=CHINESE_PYTHON, codepage="gbk",
                  short_path=None)
    config = user_config_path("win32", tmp_path / "李强")
    assert vba_read(config.read_bytes(), "gbk") == {"INTERPRETER_WIN": CHINESE_PYTHON}


def test_a_path_the_code_page_cannot_hold_is_written_as_its_short_path() -> None:
    """A Chinese user folder on a Windows whose ANSI code page is Western (cp1252)."""
    short = r"C:\Users\F8C5~1\AppData\Local\Programs\Python\PYTHON~1\python.exe"
    data = user_config_bytes(CHINESE_PYTHON, "win32", codepage="cp1252",
                             short_path=lambda path: short if path == CHINESE_PYTHON else None)
    assert vba_read(data, "cp1252") == {"INTERPRETER_WIN": short}
    assert vba_readable(r"C:\Python311\python.exe", "cp1252", short_path=lambda path: 1 / 0) == \
        r"C:\Python311\python.exe"  # an ASCII path is never shortened


def test_without_a_short_path_install_refuses_before_copying(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    xlam = tmp_path / "xlcsr.xlam"
    xlam.write_bytes(b"PK")
    with pytest.raises(AddinUnsupported) as caught:
        install_addin(xlam, platform="win32", home=tmp_path, interpreter=CHINESE_PYTHON, codepage="cp1252",
                      short_path=lambda path: None)
    message = str(caught.value)
    assert cjk_first(message) and "\n" not in message and CHINESE_PYTHON in message and "8.3" in message
    assert not (addin_folder("win32", tmp_path) / "xlcsr.xlam").exists()
    assert not user_config_path("win32", tmp_path).exists()


def test_ansi_codepage_is_mbcs_on_windows_and_ascii_when_writing_for_windows_elsewhere(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conf_module.sys, "platform", "linux")
    assert ansi_codepage("windows") == "ascii" and ansi_codepage("mac") == "utf-8"
    with pytest.raises(AddinUnsupported):  # no code page known, no short path off Windows: refused, not garbled
        user_config_bytes(CHINESE_PYTHON, "win32")
    monkeypatch.setattr(conf_module.sys, "platform", "win32")
    assert ansi_codepage("windows") == "mbcs"


def test_short_paths_are_skipped_off_windows() -> None:
    if conf_module.sys.platform == "win32":
        pytest.skip("on Windows the short path is real")
    assert windows_short_path(CHINESE_PYTHON) is None


def test_conf_bytes_refuses_what_input_hash_would_split() -> None:
    with pytest.raises(AddinUnsupported):
        conf_bytes({"INTERPRETER_WIN": 'C:\\a"b\\python.exe'}, "gbk")
    with pytest.raises(AddinUnsupported):
        conf_bytes({"INTERPRETER_WIN": "C:\\a\nb"}, "gbk")
    with pytest.raises(AddinUnsupported, match="xlcsr addin install"):
        read_conf("李强".encode(), "ascii")


def test_cli_build_says_what_it_built_with(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from xlcsr.cli.addin import addin_app

    result = CliRunner().invoke(addin_app, ["build", "--out", str(tmp_path)], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    assert f"xlwings {INSTALLED}, xlcsr {xlcsr.__version__}" in result.output  # one line: any tmp path fits
    assert built_with(tmp_path / "xlcsr.xlam") == BuiltWith(xlcsr=xlcsr.__version__, xlwings=INSTALLED)

"""`run_doctor`: what on this PC keeps the ribbon or the nightly run from working, each with its fix.

    >>> from pathlib import Path
    >>> from xlcsr.excel.doctor import run_doctor
    >>> report = run_doctor(config=Path("xlcsr.toml"))  # doctest: +SKIP
    >>> report.ok, [check.name for check in report.failures()]  # doctest: +SKIP
    (False, ['加载项'])
    >>> report.to_rows()[0]  # doctest: +SKIP
    ['Python 版本', '正常', 'Python 3.11.7（C:\\\\Python311\\\\python.exe），xlcsr 0.1.0 / …', '']

Checks, in this order: the Python and xlcsr versions; xlwings and the version of the DLL the
installed add-in names; the add-in in Excel's add-in folder; that folder trusted (read from the
registry where there is one); `xlcsr.conf` present and decodable the way xlwings' VBA reads it
(`Open … For Input`: the ANSI code page on Windows), and the interpreter it names existing; then,
from `xlcsr.toml`: the SMTP server accepting a connection (connect only: no login, no mail), the
nightly task (`schtasks` / `crontab`, run through `run_command`), and each register folder
writable (a temp file made and deleted). A check that does not apply on this platform, or cannot be
made here, says so and counts as passed; a check that depends on a failed one (the interpreter in an
unreadable conf, SMTP in a broken xlcsr.toml) is left out and the failed one says so. Nothing is
changed on the PC: no file is left behind, no mail is sent, no setting is written.
"""

from __future__ import annotations

import codecs
import ntpath
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlcsr
from xlcsr.domain.errors import XlcsrError
from xlcsr.domain.vocab import CONFIG_FILE

if TYPE_CHECKING:
    from xlcsr.app.config import Config

TASK_NAME = "xlcsr nightly"
"""The Windows Task Scheduler task README.md tells the administrator to create."""
CRON_MARK = "xlcsr run"
"""What a crontab line of the nightly run contains."""
MIN_PYTHON = (3, 11)
TRUSTED_LOCATIONS_KEY = r"Software\Microsoft\Office\16.0\Excel\Security\Trusted Locations"
ROW_HEADERS = {"zh": ["名称", "结果", "详情", "解决办法"], "en": ["Check", "Result", "Detail", "Fix"]}
RESULT_WORDS = {"zh": ("正常", "有问题"), "en": ("ok", "problem")}
NAMES_EN = {
    "Python 版本": "Python version", "xlwings": "xlwings", "加载项": "Add-in", "加载项信任": "Add-in trusted",
    "xlcsr.conf": "xlcsr.conf", "Python 解释器": "Interpreter", "配置文件": "Configuration",
    "SMTP 服务器": "SMTP server", "夜间任务": "Nightly task", "清单文件夹": "Register folder",
}

RunCommand = Callable[..., Any]
"""`subprocess.run`, or a test's fake: called as `run_command(argv, capture_output=True, text=True, …)`."""


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, whether it is fine, what was found and what to do about it."""

    name: str  # short Chinese name, e.g. "Python 版本"
    ok: bool
    detail: str  # what was found, one line, Chinese first / English
    fix: str = ""  # what to do when not ok, one line, a command where there is one


@dataclass
class DoctorReport:
    """Every check made, in order; `ok` and `failures()` are derived from them."""

    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def failures(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    def to_rows(self, lang: str = "zh") -> list[list[str]]:
        """[名称, 结果 (正常/有问题), 详情, 解决办法] per check, for the terminal and the 诊断 sheet."""
        lang = "en" if lang == "en" else "zh"
        good, bad = RESULT_WORDS[lang]
        return [[NAMES_EN.get(check.name, check.name) if lang == "en" else check.name,
                 good if check.ok else bad, check.detail, "" if check.ok else check.fix]
                for check in self.checks]

    def summary(self, lang: str = "zh") -> str:
        failed = self.failures()
        if lang == "en":
            return (f"All {len(self.checks)} checks passed" if not failed else
                    f"{len(failed)} of {len(self.checks)} checks found a problem: "
                    + ", ".join(NAMES_EN.get(c.name, c.name) for c in failed))
        return (f"全部 {len(self.checks)} 项检查正常" if not failed else
                f"{len(self.checks)} 项检查中有 {len(failed)} 项有问题：" + "、".join(c.name for c in failed))


def run_doctor(*, config: Path | None = None, platform: str | None = None, home: Path | None = None,
               smtp_timeout: float = 5.0, run_command: RunCommand = subprocess.run) -> DoctorReport:
    """Check this PC for the ribbon and the nightly run; `platform` and `home` default to this machine's.

    `config` is the `xlcsr.toml` to read (default: the one in the working directory, if any).
    """
    platform = sys.platform if platform is None else platform
    home = Path.home() if home is None else Path(home)
    system = _system(platform)
    checks = [_python_check()]
    addin = _addin_path(platform, home) if system != "other" else None
    checks.append(_xlwings_check(system, addin))
    checks += _addin_checks(system, platform, home, addin)
    checks += _conf_checks(system, platform, home)
    checks += _config_checks(config, system, smtp_timeout, run_command)
    return DoctorReport(checks)


# --- versions -------------------------------------------------------------------------------------

def _python_check() -> Check:
    found = ".".join(map(str, sys.version_info[:3]))
    mine = xlcsr.__version__
    detail = f"Python {found}（{sys.executable}），xlcsr {mine} / Python {found}, xlcsr {mine}"
    if sys.version_info[:2] >= MIN_PYTHON:
        return Check("Python 版本", True, detail)
    wanted = ".".join(map(str, MIN_PYTHON))
    return Check("Python 版本", False, f"{detail}：需要 {wanted} 或更高 / needs {wanted} or later",
                 f"安装 Python {wanted} 或更高，再 pip install \"xlcsr[excel]\" / install Python {wanted}+")


def installed_xlwings() -> str | None:
    """The installed xlwings' version, None without it (from its metadata: xlwings is not imported)."""
    from xlcsr.excel.addin.versions import installed_xlwings as installed

    return installed()


def _xlwings_check(system: str, addin: Path | None) -> Check:
    from xlcsr.excel.addin.versions import check_versions, fix_command

    version = installed_xlwings()
    pip = f'{"py" if system == "windows" else "python3"} -m pip install "xlcsr[excel]"'
    if system == "other":
        found = f"已安装 {version}" if version else "未安装"
        return Check("xlwings", True, f"{found}；此系统没有 Excel，不适用 / "
                                      f"{'xlwings ' + version if version else 'not installed'}: not applicable, "
                                      f"no Excel on this system")
    if version is None:
        return Check("xlwings", False, "未安装 xlwings：功能区按钮无法运行 / xlwings is not installed", pip)
    assert addin is not None
    if not addin.is_file():
        return Check("xlwings", False, f"xlwings {version}；加载项未安装，无法比较 DLL 版本 / "
                                       f"add-in not installed, DLL version not compared", "xlcsr addin install")
    try:
        dll = addin_dll_version(addin)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        return Check("xlwings", False, f"无法读取加载项 {addin} 的 VBA：{exc} / cannot read the add-in's VBA",
                     "关闭 Excel 后运行 xlcsr addin install / close Excel, then run xlcsr addin install")
    problems = [] if dll == version else [
        f"xlwings {version}，加载项调用 xlwings {dll} 的 DLL / the add-in calls the DLL of xlwings {dll}"]
    problems += check_versions(addin, xlwings_version=version)  # the versions the add-in records
    if problems:
        return Check("xlwings", False, "；".join(problems),
                     f"关闭 Excel，运行 {fix_command()} / close Excel, then run that")
    return Check("xlwings", True, f"xlwings {version}，与加载项调用的 DLL 一致 / matches the add-in's DLL {dll}")


_DLL = re.compile(r"xlwings(?:32|64)-(\d+(?:\.\d+)+)\.dll")


def addin_dll_version(addin: Path) -> str:
    """The xlwings version in the DLL name the add-in's VBA declares (`xlwings64-0.37.8.dll` → "0.37.8")."""
    with zipfile.ZipFile(addin) as package:
        try:
            project = package.read("xl/vbaProject.bin")
        except KeyError:
            raise ValueError("没有 VBA 工程 / no VBA project") from None
    for stream in _cfb_streams(project).values():
        source = _module_source(stream)
        if source and (found := _DLL.search(source.decode("latin-1"))):
            return found.group(1)
    raise ValueError("VBA 中没有 xlwings DLL 的名称 / the VBA names no xlwings DLL")


def _cfb_streams(data: bytes) -> dict[str, bytes]:
    """Every stream of an OLE compound file (MS-CFB), by name: enough to read a VBA project."""
    if data[:8] != bytes.fromhex("d0cf11e0a1b11ae1"):
        raise ValueError("vbaProject.bin 不是 OLE 复合文件 / not an OLE compound file")
    sector_size, mini_size = 1 << struct.unpack_from("<H", data, 30)[0], 1 << struct.unpack_from("<H", data, 32)[0]
    directory_start, cutoff, minifat_start = struct.unpack_from("<I4xII", data, 48)
    difat_start, difat_count = struct.unpack_from("<II", data, 68)
    fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s < 0xFFFFFFFA]
    per_sector = sector_size // 4

    def sector(number: int) -> bytes:
        return data[(number + 1) * sector_size:(number + 2) * sector_size]

    for _ in range(difat_count):  # files above ~7 MB list further FAT sectors in DIFAT sectors
        entries = struct.unpack(f"<{per_sector}I", sector(difat_start))
        fat_sectors += [s for s in entries[:-1] if s < 0xFFFFFFFA]
        difat_start = entries[-1]
    fat = [n for s in fat_sectors for n in struct.unpack(f"<{per_sector}I", sector(s))]

    def chain(start: int, table: list[int]) -> Iterator[int]:
        seen = set()
        while start < len(table) and start not in seen:
            seen.add(start)
            yield start
            start = table[start]

    def read(start: int) -> bytes:
        return b"".join(sector(n) for n in chain(start, fat))

    directory = read(directory_start)
    minifat_bytes = read(minifat_start) if minifat_start < 0xFFFFFFFA else b""
    minifat = list(struct.unpack(f"<{len(minifat_bytes) // 4}I", minifat_bytes))
    root_start, = struct.unpack_from("<I", directory, 116)
    ministream = read(root_start)
    streams = {}
    for offset in range(0, len(directory) - 127, 128):
        name_length, kind = struct.unpack_from("<HB", directory, offset + 64)
        if kind != 2:
            continue
        name = directory[offset:offset + max(name_length - 2, 0)].decode("utf-16-le", "replace")
        start, size = struct.unpack_from("<II", directory, offset + 116)
        if size < cutoff:
            data_ = b"".join(ministream[n * mini_size:(n + 1) * mini_size] for n in chain(start, minifat))
        else:
            data_ = read(start)
        streams[name] = data_[:size]
    return streams


def _module_source(stream: bytes) -> bytes | None:
    """A module's source text: the compressed container after its p-code (none in a built add-in)."""
    for offset in (i for i, byte in enumerate(stream[:65536]) if byte == 1):
        try:
            source = _decompress(stream[offset:])
        except (IndexError, ValueError):
            continue
        if b"Attribute VB_Name" in source[:200]:
            return source
    return None


def _decompress(data: bytes) -> bytes:
    """MS-OVBA §2.4.1.3.1: a compressed container (signature 0x01, then chunks of up to 4096 bytes)."""
    if not data or data[0] != 1:
        raise ValueError("no compressed container")
    out = bytearray()
    position = 1
    while position + 2 <= len(data):
        header, = struct.unpack_from("<H", data, position)
        if (header >> 12) & 0b0111 != 0b011:
            raise ValueError("bad chunk signature")
        end = min(position + (header & 0x0FFF) + 3, len(data))
        position += 2
        chunk_start = len(out)
        if not header & 0x8000:
            out += data[position:position + 4096]
            position += 4096
            continue
        while position < end:
            flags = data[position]
            position += 1
            for bit in range(8):
                if position >= end:
                    break
                if not flags >> bit & 1:
                    out.append(data[position])
                    position += 1
                    continue
                token, = struct.unpack_from("<H", data, position)
                position += 2
                bit_count = max((len(out) - chunk_start - 1).bit_length(), 4)
                distance = (token >> (16 - bit_count)) + 1
                if distance > len(out) - chunk_start:
                    raise ValueError("copy token before the chunk")
                for _ in range((token & (0xFFFF >> bit_count)) + 3):
                    out.append(out[-distance])
    return bytes(out)


# --- the add-in -----------------------------------------------------------------------------------

def _system(platform: str) -> str:
    return "windows" if platform.startswith("win") else "mac" if platform == "darwin" else "other"


def _addin_path(platform: str, home: Path) -> Path:
    from xlcsr.excel.addin.build import ADDIN_NAME
    from xlcsr.excel.addin.install import addin_folder

    return addin_folder(platform, home) / ADDIN_NAME


def _addin_checks(system: str, platform: str, home: Path, addin: Path | None) -> list[Check]:
    if system == "other" or addin is None:
        return [Check("加载项", True, f"不适用：此系统（{platform}）没有 Excel / not applicable: no Excel on "
                                      f"{platform}")]
    checks = [_installed_check(system, home, addin)]
    checks.append(_trust_check(system, addin.parent))
    return checks


def _installed_check(system: str, home: Path, addin: Path) -> Check:
    if addin.is_file():
        return Check("加载项", True, f"已安装：{addin} / installed")
    elsewhere = _found_elsewhere(system, home, addin)
    if elsewhere is not None:
        return Check("加载项", False, f"{addin.name} 在 {elsewhere.parent}，不在 Excel 的加载项文件夹 {addin.parent} / "
                                      f"found in the wrong folder (Excel's is {addin.parent})",
                     f'关闭 Excel 后运行 xlcsr addin install --xlam "{elsewhere}" / close Excel, then run that')
    return Check("加载项", False, f"未安装：找不到 {addin} / not installed: {addin} is missing",
                 "xlcsr addin install")


def _found_elsewhere(system: str, home: Path, addin: Path) -> Path | None:
    """A copy of the add-in where people put downloads or where Excel's other start folders are."""
    folders = [home / "Downloads", home / "Desktop", home / "Documents", home]
    if system == "windows":
        roaming = addin.parent.parent.parent  # …\AppData\Roaming\Microsoft\AddIns → …\AppData\Roaming
        folders += [roaming / "Microsoft" / "Excel" / "XLSTART", home / "OneDrive" / "Desktop",
                    home / "OneDrive" / "Documents"]
    else:
        folders += [home / "Library" / "Application Support" / "Microsoft" / "Office" / "Add-Ins"]
    for folder in folders:
        candidate = folder / addin.name
        if candidate.is_file() and candidate != addin:
            return candidate
    return None


@dataclass(frozen=True)
class TrustedLocations:
    """Excel's trusted locations as the registry holds them (`locations`: path, subfolders allowed)."""

    exists: bool  # the key is there (Excel writes its defaults there once it has run)
    all_disabled: bool = False
    locations: tuple[tuple[str, bool], ...] = ()


def read_trusted_locations() -> TrustedLocations | None:
    """HKCU's Excel 16.0 trusted locations; None where there is no Windows registry."""
    try:
        import winreg  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        key = winreg.OpenKey(winreg.HKEY_CURRENT_USER, TRUSTED_LOCATIONS_KEY)
    except OSError:
        return TrustedLocations(exists=False)
    with key:
        disabled = _reg_value(winreg, key, "AllLocationsDisabled") == 1
        locations = []
        index = 0
        while True:
            try:
                name = winreg.EnumKey(key, index)
            except OSError:
                break
            index += 1
            with winreg.OpenKey(key, name) as location:
                path = _reg_value(winreg, location, "Path")
                if isinstance(path, str) and path:
                    locations.append((os.path.expandvars(path), _reg_value(winreg, location, "AllowSubfolders") == 1))
    return TrustedLocations(True, disabled, tuple(locations))


def _reg_value(winreg: Any, key: Any, name: str) -> object:
    try:
        return winreg.QueryValueEx(key, name)[0]
    except OSError:
        return None


def is_trusted(folder: Path, trusted: TrustedLocations) -> bool:
    """Whether Excel trusts `folder`: one of the locations is it (or holds it, subfolders allowed)."""
    if trusted.all_disabled:
        return False
    if not trusted.exists:
        return True  # Excel has not written its list yet: its defaults, the user's AddIns folder among them
    wanted = ntpath.normcase(ntpath.normpath(str(folder)))
    for path, subfolders in trusted.locations:
        location = ntpath.normcase(ntpath.normpath(path))
        if wanted == location or (subfolders and wanted.startswith(location.rstrip("\\") + "\\")):
            return True
    return False


def _trust_check(system: str, folder: Path) -> Check:
    if system != "windows":
        return Check("加载项信任", True, "不适用：Mac 版 Excel 没有受信任位置，首次加载时选「启用宏」/ "
                                        "not applicable: Excel for Mac has no trusted locations; enable macros once")
    trusted = read_trusted_locations()
    if trusted is None:
        return Check("加载项信任", True, "未在此检查：此系统没有 Windows 注册表 / not checked here: "
                                        "no Windows registry")
    if is_trusted(folder, trusted):
        where = "（Excel 默认）" if not trusted.exists else ""
        return Check("加载项信任", True, f"{folder} 是受信任位置{where} / is a trusted location")
    why = "已禁用全部受信任位置" if trusted.all_disabled else "不在受信任位置列表中"
    return Check("加载项信任", False, f"{folder} {why}：加载项的宏不会运行 / not trusted: macros are blocked",
                 f"Excel：文件 → 选项 → 信任中心 → 信任中心设置 → 受信任位置 → 添加新位置 {folder} / "
                 f"File → Options → Trust Center → Trusted Locations → Add {folder}")


# --- xlcsr.conf and the interpreter --------------------------------------------------------------

def _conf_checks(system: str, platform: str, home: Path) -> list[Check]:
    if system == "other":
        return [Check("xlcsr.conf", True, f"不适用：此系统（{platform}）没有 Excel / not applicable on {platform}")]
    from xlcsr.excel.addin.conf import ansi_codepage, read_conf
    from xlcsr.excel.addin.install import user_config_path

    path = user_config_path(platform, home)
    reinstall = f"删除 {path} 后运行 xlcsr addin install / delete it, then run xlcsr addin install"
    if not path.is_file():
        return [Check("xlcsr.conf", False, f"找不到 {path}：按钮不知道用哪个 Python（未检查解释器）/ "
                                           f"missing: the buttons do not know which Python to run",
                      "xlcsr addin install")]
    codepage = ansi_codepage(system)  # what VBA's Open … For Input reads: mbcs on Windows, UTF-8 on a Mac
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [Check("xlcsr.conf", False, f"无法读取 {path}：{exc.strerror or exc} / cannot read it", reinstall)]
    if raw.startswith(codecs.BOM_UTF8):
        return [Check("xlcsr.conf", False, f"{path} 以 UTF-8 BOM 开头，VBA 读不出第一项 / starts with a UTF-8 BOM",
                      reinstall)]
    try:
        values = read_conf(raw, codepage)
    except XlcsrError:
        return [Check("xlcsr.conf", False, f"{path} 不是 {codepage} 编码，VBA 读出的是乱码（未检查解释器）/ "
                                           f"not {codepage}: VBA would misread it", reinstall)]
    if codepage != "utf-8" and not raw.isascii() and _utf8(raw) not in (None, raw.decode(codepage)):
        return [Check("xlcsr.conf", False, f"{path} 是 UTF-8 编码，VBA 按 {codepage} 读会乱码（未检查解释器）/ "
                                           f"written as UTF-8, VBA reads {codepage}", reinstall)]
    checks = [Check("xlcsr.conf", True, f"{path}（{codepage}）/ readable as {codepage}")]
    upper = {key.strip().upper(): value for key, value in values.items()}  # xlwings compares keys in LCase
    checks.append(_interpreter_check(system, path, upper, reinstall))
    return checks


def _utf8(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _interpreter_check(system: str, conf: Path, values: dict[str, str], reinstall: str) -> Check:
    key = "INTERPRETER_WIN" if system == "windows" else "INTERPRETER_MAC"
    value = values.get(key)
    if not value and values.get("CONDA PATH"):
        conda = Path(_expand(values["CONDA PATH"], system))
        if conda.is_dir():
            return Check("Python 解释器", True, f"使用 Conda：{conda}（环境 {values.get('CONDA ENV', 'base')}）/ Conda")
        return Check("Python 解释器", False, f"{conf} 中的 CONDA PATH 不存在：{conda} / CONDA PATH does not exist",
                     reinstall)
    if not value:
        return Check("Python 解释器", False, f"{conf} 中没有 {key} / {key} is missing", reinstall)
    interpreter = Path(_expand(value, system))
    if not interpreter.is_file():
        return Check("Python 解释器", False, f"{key} 指向的 {interpreter} 不存在 / the interpreter does not exist",
                     f"{reinstall}（将写入 {sys.executable}）")
    same = "，即运行本检查的 Python" if _same_file(interpreter, Path(sys.executable)) else ""
    return Check("Python 解释器", True, f"{key} = {interpreter}{same} / exists")


def _expand(value: str, system: str) -> str:
    """What xlwings' ExpandEnvironmentStrings makes of a value: %VAR% on Windows, a leading $HOME on a Mac."""
    return ntpath.expandvars(value) if system == "windows" else os.path.expandvars(value)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


# --- xlcsr.toml: SMTP, the nightly task, the register folders ------------------------------------

def _config_checks(path: Path | None, system: str, timeout: float, run_command: RunCommand) -> list[Check]:
    from xlcsr.app.config import load_config

    try:
        config = load_config(path)
    except XlcsrError as exc:
        return [Check("配置文件", False, f"{exc}（未检查 SMTP、夜间任务、清单文件夹）/ not checked: SMTP, "
                                         "nightly task, register folders",
                      "修改配置文件后再运行 xlcsr doctor / fix the file, then run xlcsr doctor again")]
    if config.source is None:
        checks = [Check("配置文件", True, f"当前文件夹没有 {CONFIG_FILE}：只用功能区时不需要；夜间运行的电脑上请用 "
                                          f"--config 指定 / none here: not needed for the ribbon alone")]
    else:
        checks = [Check("配置文件", True, f"{config.source}，{len(config.registers)} 个清单 / registers listed")]
    checks.append(_smtp_check(config, timeout, system))
    checks.append(_nightly_check(config, system, run_command))
    checks += _folder_checks(config.registers, system)
    return checks


def _smtp_check(config: Config, timeout: float, system: str) -> Check:
    smtp = config.smtp
    if smtp is None or not smtp.host:
        return Check("SMTP 服务器", True, f"不适用：未设置 SMTP 服务器，提醒写入发件箱 {config.outbox} / "
                                          f"no SMTP host: reminders go to the outbox")
    where = f"{smtp.host}:{smtp.port}"
    try:
        with socket.create_connection((smtp.host, smtp.port), timeout=timeout):
            pass
    except OSError as exc:
        probe = (f"Test-NetConnection {smtp.host} -Port {smtp.port}" if system == "windows"
                 else f"nc -vz {smtp.host} {smtp.port}")
        return Check("SMTP 服务器", False, f"无法连接 {where}：{exc.strerror or exc} / cannot connect",
                     f"检查 [smtp] host、port 与防火墙，测试：{probe} / check host, port and the firewall: {probe}")
    if smtp.user and not smtp.secret():
        variable = smtp.password_env or "XLCSR_SMTP_PASSWORD"
        setter = f'setx {variable} "…"' if system == "windows" else f"export {variable}=…"
        return Check("SMTP 服务器", False, f"已连接 {where}，但环境变量 {variable} 中没有密码 / connected, but "
                                           f"{variable} holds no password", setter)
    return Check("SMTP 服务器", True, f"已连接 {where}（未登录、未发送邮件）/ connected (no login, no mail)")


def _nightly_check(config: Config, system: str, run_command: RunCommand) -> Check:
    if config.source is None:
        return Check("夜间任务", True, f"未检查：没有 {CONFIG_FILE}，本机不做夜间运行 / not checked: no config here")
    exe = shutil.which("xlcsr") or "xlcsr"
    if system == "windows":
        command = ["schtasks", "/Query", "/TN", TASK_NAME]
        fix = (f'schtasks /Create /TN "{TASK_NAME}" /SC DAILY /ST {config.time} /TR '
               f'"\\"{exe}\\" run --config {config.source} --once"')
    else:
        command = ["crontab", "-l"]
        hour, minute = config.time.split(":")
        fix = (f"crontab -e，加入 / add: {int(minute)} {int(hour)} * * * cd {config.config_dir} && {exe} run "
               f"--config {config.source} --once >> {config.config_dir / 'cron.log'} 2>&1")
    try:
        result = run_command(command, capture_output=True, text=True, errors="replace", timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return Check("夜间任务", False, f"无法运行 {command[0]}：{exc} / cannot query the scheduler", fix)
    if system == "windows":
        if result.returncode == 0:
            return Check("夜间任务", True, f"任务计划程序中有「{TASK_NAME}」/ the task exists")
        return Check("夜间任务", False, f"任务计划程序中没有「{TASK_NAME}」/ no such scheduled task", fix)
    lines = [line for line in (result.stdout or "").splitlines()
             if CRON_MARK in line and not line.lstrip().startswith("#")]
    if result.returncode == 0 and lines:
        return Check("夜间任务", True, f"crontab：{lines[0].strip()}")
    why = "没有 crontab" if result.returncode != 0 else f"crontab 中没有「{CRON_MARK}」"
    return Check("夜间任务", False, f"{why} / no nightly run in the crontab", fix)


def _folder_checks(registers: list[Path], system: str) -> list[Check]:
    if not registers:
        return [Check("清单文件夹", True, "不适用：配置中没有清单 / not applicable: no registers listed")]
    folders: dict[Path, list[Path]] = {}
    for register in registers:
        folders.setdefault(register.parent, []).append(register)
    return [_folder_check(folder, books, system) for folder, books in folders.items()]


def _folder_check(folder: Path, books: list[Path], system: str) -> Check:
    grant = (f'icacls "{folder}" /grant "%USERNAME%":M' if system == "windows" else f'chmod u+w "{folder}"')
    if not folder.is_dir():
        return Check("清单文件夹", False, f"文件夹不存在：{folder} / no such folder",
                     f"检查 {CONFIG_FILE} 中的 registers，或新建该文件夹 / fix registers, or create the folder")
    try:
        handle, name = tempfile.mkstemp(prefix=".xlcsr-doctor-", dir=folder)
        os.close(handle)
        os.unlink(name)
    except OSError as exc:
        return Check("清单文件夹", False, f"不能写入 {folder}：{exc.strerror or exc} / not writable",
                     f"给运行 xlcsr 的账户写权限：{grant} / grant write access: {grant}")
    missing = [book.name for book in books if not book.is_file()]
    if missing:
        return Check("清单文件夹", False, f"{folder} 可写，但找不到 {'、'.join(missing)} / writable, register missing",
                     f"检查 {CONFIG_FILE} 中的 registers / fix registers in {CONFIG_FILE}")
    return Check("清单文件夹", True, f"{folder} 可写（{len(books)} 个清单）/ writable")

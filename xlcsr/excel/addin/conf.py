"""`xlcsr.conf` as xlwings' VBA reads it: `Open … For Input` + `Input #`, in the machine's ANSI code page.

    >>> from xlcsr.excel.addin.conf import conf_bytes, read_conf
    >>> data = conf_bytes({"INTERPRETER_WIN": r"C:\\Users\\李强\\python.exe"}, codepage="gbk")
    >>> read_conf(data, codepage="gbk")
    {'INTERPRETER_WIN': 'C:\\\\Users\\\\李强\\\\python.exe'}

VBA's file statements know no UTF-8: on Windows they decode bytes in the system's ANSI code page
(GBK, code page 936, on Chinese Windows; Python calls it `mbcs`). So the file is written in that code
page (`ansi_codepage`). A value the code page cannot hold (a user folder in Chinese on an English
Windows) is written as its 8.3 short path (`windows_short_path`, pure ASCII) when Windows has one;
otherwise `vba_readable` refuses with what to do. Lines are `"KEY","value"` with CR LF, as VBA's
`Write #` writes them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from xlcsr.domain.errors import AddinUnsupported

ShortPath = Callable[[str], str | None]


def ansi_codepage(system: str = "windows") -> str:
    """The encoding VBA's `Open … For Input` uses for a config read on `system` ("windows" or "mac").

    `mbcs` (the ANSI code page) when this Python runs on Windows; ASCII when a Windows file is
    written elsewhere (every ANSI code page reads it alike); UTF-8 for macOS, as before.
    """
    if system != "windows":
        return "utf-8"
    return "mbcs" if sys.platform == "win32" else "ascii"


def codepage_name(codepage: str) -> str:
    """How messages name `codepage` (the ANSI code page of this Windows for `mbcs`)."""
    return "本机 ANSI 代码页" if codepage.lower() == "mbcs" else f" {codepage} "


def encodable(text: str, codepage: str) -> bool:
    """Whether `text` survives `codepage` both ways (what VBA reads is what was written)."""
    try:
        return text.encode(codepage).decode(codepage) == text
    except UnicodeError:
        return False


def windows_short_path(path: str) -> str | None:
    """The 8.3 short form of an existing `path` (GetShortPathNameW); None off Windows or without one."""
    if sys.platform != "win32":
        return None
    import ctypes
    from ctypes import wintypes

    function = ctypes.windll.kernel32.GetShortPathNameW  # type: ignore[attr-defined]
    function.argtypes = [wintypes.LPCWSTR, wintypes.LPWSTR, wintypes.DWORD]
    function.restype = wintypes.DWORD
    size = function(path, None, 0)
    if size == 0:
        return None
    buffer = ctypes.create_unicode_buffer(size)
    return buffer.value if function(path, buffer, size) else None


def vba_readable(value: str, codepage: str, *, short_path: ShortPath | None = windows_short_path) -> str:
    """`value` as VBA reading `codepage` gets it back intact: itself, else its short path, else AddinUnsupported."""
    if encodable(value, codepage):
        return value
    short = short_path(value) if short_path is not None else None
    if short and encodable(short, codepage):
        return short
    raise AddinUnsupported(
        f"路径 {value} 含有{codepage_name(codepage)}无法表示的字符，Excel 的 VBA 读不出它，且没有 8.3 短路径："
        "请把 Python 装到只含英文字母的文件夹（如 C:\\Python311），或在加载项的 _xlcsr.conf 表中填写解释器"
        f" / the path {value} cannot be written in {codepage} for VBA and has no 8.3 short name: install Python"
        " in a folder with an ASCII name (e.g. C:\\Python311) or enter the interpreter in the add-in's sheet")


def conf_bytes(settings: Mapping[str, str], codepage: str) -> bytes:
    """The config file holding `settings` as `"KEY","value"` lines, CR LF, encoded in `codepage`."""
    for key, value in settings.items():
        if '"' in key + value or "\r" in key + value or "\n" in key + value:
            raise AddinUnsupported(f"配置项 {key} 含有引号或换行 / setting {key} holds a quote or line break")
    text = "".join(f'"{key}","{value}"\r\n' for key, value in settings.items())
    try:
        return text.encode(codepage)
    except UnicodeError:
        raise AddinUnsupported(f"配置无法以{codepage_name(codepage)}写出 / the settings cannot be written in "
                               f"{codepage}") from None


def read_conf(data: bytes, codepage: str) -> dict[str, str]:
    """The settings in a config file as VBA's `Input #` reads them; AddinUnsupported if undecodable."""
    try:
        text = data.decode(codepage)
    except UnicodeError:
        raise AddinUnsupported(f"xlcsr.conf 不是{codepage_name(codepage)}编码，Excel 读不出其中的中文："
                               f"请删除它后重新运行 xlcsr addin install / xlcsr.conf is not in {codepage}; "
                               "delete it and run `xlcsr addin install` again") from None
    settings = {}
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            key, _, value = line.partition(",")
            settings[key.strip().strip('"')] = value.strip().strip('"')
    return settings


def read_user_config(path: Path, codepage: str | None = None, system: str = "windows") -> dict[str, str]:
    """The settings of the config file at `path` as the add-in's VBA would read them on `system`."""
    return read_conf(Path(path).read_bytes(), codepage or ansi_codepage(system))

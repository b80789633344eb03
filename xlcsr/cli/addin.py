"""`xlcsr addin …`: build the Excel ribbon add-in and install it (wired in by `xlcsr.cli`).

    $ xlcsr addin build --out dist/xlcsr.xlam
    $ xlcsr addin install --xlam dist/xlcsr.xlam
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from xlcsr.cli import render
from xlcsr.cli.options import XlcsrCommand, XlcsrGroup

addin_app = typer.Typer(
    name="addin",
    help="Excel 功能区加载项（「顾客特殊要求」选项卡）/ The Excel ribbon add-in.",
    no_args_is_help=True,
    add_completion=False,
    cls=XlcsrGroup,
)


# The add-in machinery (the VBA project, the .xlam package) is imported only when `xlcsr addin` runs.

def build_addin(out: Path) -> Path:
    from xlcsr.excel.addin import build_addin

    return build_addin(out)


def install_addin(xlam: Path | None) -> Path:
    from xlcsr.excel.addin import install_addin

    return install_addin(xlam)


def user_config_path() -> Path:
    from xlcsr.excel.addin import user_config_path

    return user_config_path()


def built_with_text(xlam: Path) -> str:
    """"xlwings 0.37.8, xlcsr 0.1.0" as recorded in the add-in at `xlam`, or "" when it records none."""
    from xlcsr.excel.addin.versions import built_with

    built = built_with(xlam)
    return "" if built is None else f"xlwings {built.xlwings}, xlcsr {built.xlcsr}"


def check_versions(xlam: Path) -> list[str]:
    from xlcsr.excel.addin.versions import check_versions

    return check_versions(xlam)


@addin_app.command(cls=XlcsrCommand)
def build(
    out: Annotated[Path, typer.Option(
        "--out", metavar="FILE", help="输出文件或文件夹 / output file or folder")] = Path("xlcsr.xlam"),
) -> None:
    """生成 Excel 加载项 xlcsr.xlam（任何系统均可），含功能区按钮与 VBA / Build the Excel add-in on any OS.

    Example: xlcsr addin build --out dist/xlcsr.xlam
    """
    path = build_addin(out)
    versions = built_with_text(path)
    render.console.print(f"已生成加载项 / add-in built: {path}" + (f"（{versions}）" if versions else ""))


@addin_app.command(cls=XlcsrCommand)
def install(
    xlam: Annotated[Path | None, typer.Option(
        "--xlam", metavar="FILE",
        help="要安装的 .xlam（默认现场生成）/ the add-in to install (default: build one now)")] = None,
) -> None:
    """把加载项复制到 Excel 加载项文件夹并登记本机 Python（Windows/Mac）/ Install the add-in for Excel.

    Example: xlcsr addin install --xlam dist/xlcsr.xlam
    """
    config = user_config_path()
    existed = config.exists()
    path = install_addin(xlam)
    render.console.print(f"已安装 / installed: {path}")
    for problem in check_versions(path):
        render.console.print(f"注意 / warning: {problem}", markup=False)
    if not existed and config.exists():
        render.console.print(f"Python 解释器已写入 / interpreter recorded in {config}: {sys.executable}")
    else:
        render.console.print(f"保留现有配置 / kept the existing config: {config}")
    render.console.print("在 Excel 中：文件 → 选项 → 加载项 → 转到… → 勾选「xlcsr 顾客特殊要求」"
                         " / In Excel: File → Options → Add-ins → Go… → tick 「xlcsr 顾客特殊要求」")

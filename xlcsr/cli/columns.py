"""`xlcsr columns`: how every column of the register is understood, and the mappings it suggests.

    $ xlcsr columns 顾客特殊要求清单.xlsx --apply
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from xlcsr.cli import render
from xlcsr.cli.options import Lang
from xlcsr.domain.fields import FIELD_BY_KEY

if TYPE_CHECKING:
    from xlcsr.app.commands import ColumnsResult

HOW = {"zh": {"alias": "表头（别名）", "mapping": "列映射", "duplicate": "重复，未用", "unknown": "未知"},
       "en": {"alias": "header (alias)", "mapping": "column mapping", "duplicate": "repeated, unused",
              "unknown": "unknown"}}


def columns_command(
    book: Annotated[Path, typer.Argument(
        metavar="BOOK", help="清单工作簿 .xlsx/.xlsm / the register workbook", show_default=False)],
    apply: Annotated[bool, typer.Option("--apply", help="把建议的映射写入「设置」的【列映射】/ "
                                        "write the suggested mappings into 【列映射】 of 设置")] = False,
    lang: Lang = "zh",
) -> None:
    """列出每一列如何识别（别名、列映射、未知、看起来像…），--apply 写入建议的列映射 / How each column is read.

    Exit 0 when no unknown column looks like a field, else 1 (after --apply: 0 once it is mapped).

    Example: xlcsr columns 顾客特殊要求清单.xlsx --apply
    """
    from xlcsr.app.commands import understand_columns

    result = understand_columns(book, apply=apply, lang=lang, clock=datetime.now)
    show_columns(result, lang)
    raise typer.Exit(1 if result.unresolved else 0)


def show_columns(result: ColumnsResult, lang: str = "zh") -> None:
    zh = lang != "en"
    how = HOW["en" if lang == "en" else "zh"]
    table = Table(show_lines=False)
    titles = ("列", "表头", "识别为", "字段", "看起来像") if zh else ("Col", "Header", "Read as", "Field", "Looks like")
    for title in titles:
        table.add_column(title, overflow="fold")
    for reading in result.readings:
        field = FIELD_BY_KEY[reading.field].header if reading.field else ""
        looks = FIELD_BY_KEY[reading.looks_like].header if reading.looks_like else ""
        table.add_row(reading.column.letter, reading.column.header, how[reading.how], field, looks)
    render.console.print(table)
    if not result.suggested:
        render.console.print("没有需要映射的列" if zh else "No column needs a mapping")
        return
    pairs = "、".join(f"{h} → {FIELD_BY_KEY[k].header}" for h, k in result.suggested.items())
    if result.applied:
        render.console.print(f"已写入「设置」的【列映射】：{pairs}" if zh
                             else f"Written into 【列映射】 of 设置: {pairs}")
    elif result.register.settings.from_defaults:
        toml = "\n".join(f'"{h}" = "{FIELD_BY_KEY[k].header}"' for h, k in result.suggested.items())
        render.console.print(("工作簿没有「设置」表：请把下面几行加到工作簿旁 xlcsr.toml 的 [columns] 表中"
                              if zh else "The workbook has no 设置 sheet: add these lines to [columns] in xlcsr.toml "
                              "beside it") + f"\n[columns]\n{toml}", soft_wrap=True, markup=False)
    else:
        render.console.print(f"建议的列映射：{pairs}（加 --apply 写入「设置」）" if zh
                             else f"Suggested mappings: {pairs} (add --apply to write them into 设置)")

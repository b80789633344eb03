"""What `validate --mark` puts into a workbook: a fill and a note on each bad cell, and the 校验结果 sheet.

    >>> plan = plan_marks(report, register)
    >>> plan.notes["I7"]
    '接收日期「明天」不是有效日期（…）'

Adapters (file or live Excel) apply the plan; the rules stay here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from xlcsr.domain.issues import ValidationReport
from xlcsr.domain.records import Register

ERROR_FILL = "FFFFC7CE"

# What lay under a mark, as state "marks" → "cells" → ref → {"fill": Fill} records it for both fronts,
# so that either clears the other's marks exactly, whatever program re-saved the file in between:
# None (no fill) or {"pattern": "solid", "fg": Color, "bg": Color | None}, a Color being one of
# {"rgb": "FFRRGGBB"}, {"theme": 4, "tint": -0.25}, {"indexed": 22}. A cell is cleared only while
# its fill is still ERROR_FILL (the user may have coloured it since). "notes" lists the cells that
# got xlcsr's note.
Fill = dict[str, object] | None


def solid_fill(argb: str | None) -> Fill:
    """The fill record of a plain colour, or of no fill."""
    return {"pattern": "solid", "fg": {"rgb": argb}, "bg": None} if argb else None


def fill_rgb(fill: Fill) -> str | None:
    """The ARGB of a solid colour fill record; None for no fill, a theme or indexed colour, a pattern."""
    if not isinstance(fill, dict) or fill.get("pattern") != "solid" or not isinstance(fill.get("fg"), dict):
        return None
    rgb = fill["fg"].get("rgb")  # type: ignore[union-attr]
    return str(rgb) if rgb else None


def recorded_fill(entry: object) -> Fill:
    """The fill under a mark as recorded, also from the lists earlier versions stored ([…, …, rgb])."""
    if isinstance(entry, dict):
        fill = entry.get("fill")
        return fill if isinstance(fill, dict) else None
    if isinstance(entry, list) and len(entry) > 2:
        return solid_fill(entry[2] if isinstance(entry[2], str) else None)
    return None
RESULT_HEADER = {"zh": ["行", "单元格", "字段", "代码", "问题说明", "单元格内容"],
                 "en": ["Row", "Cell", "Field", "Code", "Problem", "Value"]}


@dataclass
class MarkPlan:
    """Cells to fill with their notes, and the result sheet's rows with links back to the cells."""

    sheet: str
    notes: dict[str, str] = field(default_factory=dict)
    rows: list[list[object]] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)

    @property
    def cells(self) -> list[str]:
        return list(self.notes)


def plan_marks(report: ValidationReport, register: Register, lang: str = "zh") -> MarkPlan:
    """The marks for every error of the report: one note per cell, all messages in it."""
    messages: dict[str, list[str]] = defaultdict(list)
    for issue in report.errors:
        if issue.cell:
            messages[issue.cell].append(issue.text(lang))
    plan = MarkPlan(sheet=register.sheet, notes={ref: "\n".join(texts) for ref, texts in messages.items()})
    plan.rows = [RESULT_HEADER[lang]]
    for number, row in enumerate(report.to_rows(lang), start=2):
        plan.rows.append(row)
        if row[1]:
            plan.links[f"B{number}"] = f"'{register.sheet}'!{row[1]}"
    if len(plan.rows) == 1:
        plan.rows.append(["", "", "", "", "未发现问题" if lang == "zh" else "No problems found", ""])
    return plan

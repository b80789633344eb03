"""Conditional formatting of an existing worksheet: add expression rules, remove given ones.

    >>> sheet = package.sheet("清单")                      # a SheetPatch
    >>> sheet.remove_conditional(lambda formula: formula.startswith("AND($L4"))
    1
    >>> sheet.add_conditional([CfRule("A4:N1003", '$M4="已完成"', fill="FFD9D9D9", stop_if_true=True)])
    [3]

The rules live in the sheet's tail (the XML after `</sheetData>`), each `<conditionalFormatting>`
at its place in CT_Worksheet: after mergeCells/phoneticPr and the rules already there, before
dataValidations, hyperlinks, printOptions, pageMargins … extLst. Nothing else in the tail changes.
New rules take the priorities after the highest in use (counting the Excel 2010 rules in extLst),
so the user's rules keep theirs and are evaluated first. Colours become dxfs of the StyleBook.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby

from lxml import etree

from xlcsr.ooxml.styles import StyleBook

# CT_Worksheet children after sheetData that precede (or are) conditionalFormatting
_BEFORE = frozenset({
    "sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
    "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
})


@dataclass(frozen=True)
class CfRule:
    """An expression rule: the cells it covers, its formula (no '='), colours and stop-if-true."""

    sqref: str
    formula: str
    fill: str | None = None
    font_color: str | None = None
    stop_if_true: bool = False


@dataclass(frozen=True)
class FoundRule:
    """An expression rule as it stands in the sheet."""

    sqref: str
    formula: str
    priority: int
    dxf: int | None
    stop_if_true: bool


def expression_rules(tail: etree._Element, ns: str) -> list[FoundRule]:
    """The sheet's expression rules, in document order."""
    found = []
    for block, rule in _expression_rules(tail, ns):
        dxf = rule.get("dxfId")
        found.append(FoundRule(block.get("sqref", ""), _formula(rule, ns), int(rule.get("priority", "0")),
                               int(dxf) if dxf and dxf.isdigit() else None,
                               rule.get("stopIfTrue") in ("1", "true")))
    return found


def remove_rules(tail: etree._Element, ns: str, match: Callable[[str], bool]) -> int:
    """Remove the expression rules whose formula `match`es; a block left empty goes too."""
    removed = 0
    for block, rule in list(_expression_rules(tail, ns)):
        if match(_formula(rule, ns)):
            remove_keeping_tail(rule)
            removed += 1
            if block.find(_tag(ns, "cfRule")) is None:
                remove_keeping_tail(block)
    return removed


def add_rules(tail: etree._Element, ns: str, rules: Sequence[CfRule], styles: StyleBook) -> list[int]:
    """Add `rules` in order (the first evaluated first); returns their priorities."""
    priority = max((int(p) for p in tail.xpath("//*[local-name()='cfRule']/@priority") if p.isdigit()), default=0)
    anchor = next((c for c in tail if not isinstance(c.tag, str) or etree.QName(c).localname not in _BEFORE), None)
    priorities = []
    for sqref, group in groupby(rules, key=lambda r: r.sqref):
        block = etree.Element(_tag(ns, "conditionalFormatting"), sqref=sqref)
        for rule in group:
            priority += 1
            dxf = styles.add_dxf(fill=rule.fill, font_color=rule.font_color)
            element = etree.SubElement(block, _tag(ns, "cfRule"), type="expression", dxfId=str(dxf),
                                       priority=str(priority))
            if rule.stop_if_true:
                element.set("stopIfTrue", "1")
            etree.SubElement(element, _tag(ns, "formula")).text = rule.formula
            priorities.append(priority)
        if anchor is None:
            tail.append(block)
        else:
            anchor.addprevious(block)
    return priorities


def _expression_rules(tail: etree._Element, ns: str) -> list[tuple[etree._Element, etree._Element]]:
    return [(block, rule)
            for block in tail.iterchildren(_tag(ns, "conditionalFormatting"))
            for rule in block.iterchildren(_tag(ns, "cfRule"))
            if rule.get("type") == "expression"]


def _formula(rule: etree._Element, ns: str) -> str:
    formula = rule.find(_tag(ns, "formula"))
    return (formula.text or "") if formula is not None else ""


def _tag(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}" if ns else name


def remove_keeping_tail(element: etree._Element) -> None:
    """Remove `element`, keeping the whitespace that followed it."""
    parent, tail = element.getparent(), element.tail
    previous = element.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)

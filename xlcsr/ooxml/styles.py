"""Add cell formats to a workbook's xl/styles.xml without touching the ones already there.

    >>> book = StyleBook()                       # or StyleBook(<bytes of xl/styles.xml>)
    >>> book.with_fill(0, "FFFF00"), book.with_fill(0, "#ffff00"), book.with_date_format(0)
    (1, 1, 2)
    >>> book.is_date(2), book.with_text_format(0), book.to_bytes()[:5]
    (True, 3, b'<?xml')

Identical fills, fonts, number formats and xfs are reused, so repeated runs do not grow the file.
Since formats are only ever appended, a derived format is worked out once per book and argument
(marking 5,000 cells red looks up a handful of xfs, not 5,000).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from lxml import etree

from xlcsr.domain.vocab import DATE_FORMAT, DATETIME_FORMAT

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
LINK_COLOR = "FF0563C1"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'

# Built-in number formats that show a date or time (14-22, 45-47; 27-36 and 50-58 in CJK locales).
BUILTIN_DATE_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
TEXT_FORMAT_ID = 49  # the built-in number format "@": what is typed stays text

_SECTIONS = (
    "numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs",
    "cellStyles", "dxfs", "tableStyles", "colors", "extLst",
)
_FONT_ORDER = (
    "b", "i", "strike", "condense", "extend", "outline", "shadow", "u",
    "vertAlign", "sz", "color", "name", "family", "charset", "scheme",
)
_DXF_ORDER = ("font", "numFmt", "fill", "alignment", "protection", "border", "extLst")

MINIMAL_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{MAIN_NS}">'
    '<fonts count="1"><font><sz val="11"/><color theme="1"/><name val="Calibri"/>'
    '<family val="2"/><scheme val="minor"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/><tableStyles count="0"/></styleSheet>'
).encode()


_F = TypeVar("_F", bound=Callable[..., int])


def _once(method: _F) -> _F:
    """Remember what a derivation gave for its arguments (the xfs it looked at never change)."""

    @wraps(method)
    def remembered(self: StyleBook, *args: object, **kwargs: object) -> int:
        if args and isinstance(args[0], int) and not 0 <= args[0] < len(self._items("cellXfs")):
            return method(self, *args, **kwargs)  # no such xf (yet): derived from xf 0, not remembered
        key = (method.__name__, repr(args), repr(sorted(kwargs.items())))
        if key not in self._derived:
            self._derived[key] = method(self, *args, **kwargs)
        return self._derived[key]

    return remembered  # type: ignore[return-value]


def normalize_argb(color: str) -> str:
    """'#ffeb9c' → 'FFFFEB9C'; an 8-digit ARGB is kept."""
    text = color.strip().lstrip("#").upper()
    if not re.fullmatch(r"[0-9A-F]{6}|[0-9A-F]{8}", text):
        raise ValueError(f"not an RGB/ARGB colour: {color!r}")
    return text if len(text) == 8 else "FF" + text


def is_date_format(code: str) -> bool:
    """True when an Excel number format code shows a date or time."""
    text = re.sub(r'"[^"]*"|[\\_*].|\[[^\]]*\]', "", code.split(";")[0])
    return bool(re.search(r"[dmyhs]", text, re.IGNORECASE)) and "General" not in text


class StyleBook:
    """The cell formats of one workbook; new formats are appended, existing ones never change."""

    def __init__(self, data: bytes | None = None, *, main_ns: str = MAIN_NS) -> None:
        """`data` is the bytes of styles.xml; without it, a minimal style sheet in namespace `main_ns`."""
        self.created = data is None
        self.root = etree.fromstring(data or MINIMAL_STYLES.replace(MAIN_NS.encode(), main_ns.encode()))
        self.ns = etree.QName(self.root).namespace or ""
        self.changed = self.created
        self._keys: dict[str, dict[bytes, int]] = {}
        self._lists: dict[str, list[etree._Element]] = {}  # the items of each section, as _items gives them
        self._derived: dict[tuple[str, str, str], int] = {}  # what each derivation gave (_once)

    def to_bytes(self) -> bytes:
        return XML_DECLARATION + etree.tostring(self.root, encoding="UTF-8", xml_declaration=False)

    def xf(self, xf_id: int) -> etree._Element:
        xfs = self._items("cellXfs")
        return xfs[xf_id] if 0 <= xf_id < len(xfs) else xfs[0]

    def number_format(self, xf_id: int) -> tuple[int, str | None]:
        """The xf's number format id and, for custom formats, its code."""
        num_id = int(self.xf(xf_id).get("numFmtId", "0"))
        for fmt in self._items("numFmts"):
            if int(fmt.get("numFmtId", "-1")) == num_id:
                return num_id, fmt.get("formatCode")
        return num_id, None

    def is_date(self, xf_id: int) -> bool:
        num_id, code = self.number_format(xf_id)
        return num_id in BUILTIN_DATE_IDS or (code is not None and is_date_format(code))

    @_once
    def with_fill(self, xf_id: int, argb: str) -> int:
        """A copy of xf `xf_id` with a solid fill of `argb`."""
        fill = self._el("fill")
        pattern = etree.SubElement(fill, self._tag("patternFill"), patternType="solid")
        etree.SubElement(pattern, self._tag("fgColor"), rgb=normalize_argb(argb))
        etree.SubElement(pattern, self._tag("bgColor"), indexed="64")
        fill_id = self._intern("fills", fill)
        return self._derive(xf_id, fillId=str(fill_id), applyFill="1")

    @_once
    def without_fill(self, xf_id: int) -> int:
        """A copy of xf `xf_id` with no fill."""
        return self._derive(xf_id, fillId="0")

    def fill_record(self, xf_id: int) -> dict[str, object] | None:
        """The xf's fill as a record (see `xlcsr.rules.marks`): None for no fill."""
        fills = self._items("fills")
        fill_id = int(self.xf(xf_id).get("fillId", "0"))
        if not 0 <= fill_id < len(fills):
            return None
        pattern = fills[fill_id].find(self._tag("patternFill"))
        kind = pattern.get("patternType", "none") if pattern is not None else "none"
        if pattern is None or kind == "none":
            return None
        return {"pattern": kind, "fg": _color_record(pattern.find(self._tag("fgColor"))),
                "bg": _color_record(pattern.find(self._tag("bgColor")))}

    @_once
    def with_fill_record(self, xf_id: int, record: dict[str, object] | None) -> int:
        """A copy of xf `xf_id` with the fill `record` describes (None: no fill)."""
        if not record:
            return self.without_fill(xf_id)
        fill = self._el("fill")
        pattern = etree.SubElement(fill, self._tag("patternFill"), patternType=str(record.get("pattern", "solid")))
        for key, tag in (("fg", "fgColor"), ("bg", "bgColor")):
            color = record.get(key)
            if isinstance(color, dict) and color:
                etree.SubElement(pattern, self._tag(tag), {k: _color_attr(k, v) for k, v in color.items()})
        return self._derive(xf_id, fillId=str(self._intern("fills", fill)), applyFill="1")

    def fill_rgb(self, xf_id: int) -> str | None:
        """The ARGB of the xf's solid fill, or None (no fill, a pattern, a theme colour)."""
        fills = self._items("fills")
        fill_id = int(self.xf(xf_id).get("fillId", "0"))
        if not 0 <= fill_id < len(fills):
            return None
        pattern = fills[fill_id].find(self._tag("patternFill"))
        if pattern is None or pattern.get("patternType") != "solid":
            return None
        color = pattern.find(self._tag("fgColor"))
        return normalize_argb(color.get("rgb")) if color is not None and color.get("rgb") else None

    @_once
    def with_date_format(self, xf_id: int, *, with_time: bool = False) -> int:
        """`xf_id` itself when it already shows a date, else a copy showing yyyy-mm-dd (hh:mm)."""
        if self.is_date(xf_id):
            return xf_id
        num_id = self._number_format_id(DATETIME_FORMAT if with_time else DATE_FORMAT)
        return self._derive(xf_id, numFmtId=str(num_id), applyNumberFormat="1")

    @_once
    def with_text_format(self, xf_id: int) -> int:
        """`xf_id` itself when it already shows text as typed (@), else a copy that does."""
        if self.number_format(xf_id)[0] == TEXT_FORMAT_ID:
            return xf_id
        return self._derive(xf_id, numFmtId=str(TEXT_FORMAT_ID), applyNumberFormat="1")

    @_once
    def bold(self, xf_id: int = 0) -> int:
        """A copy of `xf_id` in a bold font."""
        font_id = self._derived_font(xf_id, b=self._el("b"))
        return self._derive(xf_id, fontId=str(font_id), applyFont="1")

    @_once
    def hyperlink(self, xf_id: int = 0) -> int:
        """A copy of `xf_id` in Excel's blue underlined hyperlink font."""
        font_id = self._derived_font(xf_id, u=self._el("u"), color=self._el("color", rgb=LINK_COLOR))
        return self._derive(xf_id, fontId=str(font_id), applyFont="1")

    def add_dxf(
        self, *, fill: str | None = None, font_color: str | None = None, bold: bool = False
    ) -> int:
        """A differential format (for conditional formatting); identical ones are reused."""
        dxf = self._el("dxf")
        if font_color or bold:
            font = etree.SubElement(dxf, self._tag("font"))
            if bold:
                etree.SubElement(font, self._tag("b"))
            if font_color:
                etree.SubElement(font, self._tag("color"), rgb=normalize_argb(font_color))
        if fill:
            fill_el = etree.SubElement(dxf, self._tag("fill"))
            pattern = etree.SubElement(fill_el, self._tag("patternFill"), patternType="solid")
            etree.SubElement(pattern, self._tag("bgColor"), rgb=normalize_argb(fill))
        return self._intern("dxfs", dxf)

    def _derive(self, xf_id: int, **attrs: str) -> int:
        xf = copy.deepcopy(self.xf(xf_id))
        for name, value in attrs.items():
            xf.set(name, value)
        return self._intern("cellXfs", xf)

    def _derived_font(self, xf_id: int, **children: etree._Element) -> int:
        fonts = self._items("fonts")
        font_id = int(self.xf(xf_id).get("fontId", "0"))
        font = copy.deepcopy(fonts[font_id] if font_id < len(fonts) else fonts[0])
        parts = {etree.QName(child).localname: child for child in font}
        parts.update(children)
        for child in list(font):
            font.remove(child)
        for name in _FONT_ORDER:
            if name in parts:
                font.append(parts[name])
        return self._intern("fonts", font)

    def _number_format_id(self, code: str) -> int:
        existing = self._items("numFmts")
        for fmt in existing:
            if fmt.get("formatCode") == code:
                return int(fmt.get("numFmtId", "0"))
        num_id = max([163, *(int(f.get("numFmtId", "0")) for f in existing)]) + 1
        formats = self._section("numFmts")
        formats.append(self._el("numFmt", numFmtId=str(num_id), formatCode=code))
        self._lists.pop("numFmts", None)
        self._recount(formats)
        self.changed = True
        return num_id

    def _intern(self, section: str, element: etree._Element) -> int:
        """The index of an identical item in `section`, appending `element` when there is none."""
        keys = self._index(section)
        key = _key(element)
        if key in keys:
            return keys[key]
        parent = self._section(section)
        parent.append(element)
        self._lists.pop(section, None)
        self.changed = True
        keys[key] = len(parent) - 1
        self._recount(parent)
        return keys[key]

    def _index(self, section: str) -> dict[bytes, int]:
        if section not in self._keys:
            keys: dict[bytes, int] = {}
            for i, item in enumerate(self._items(section)):
                keys.setdefault(_key(item), i)
            self._keys[section] = keys
        return self._keys[section]

    def _items(self, section: str) -> list[etree._Element]:
        items = self._lists.get(section)
        if items is None:
            parent = self.root.find(self._tag(section))
            items = self._lists[section] = [] if parent is None else [c for c in parent if isinstance(c.tag, str)]
        return items

    def _section(self, section: str) -> etree._Element:
        parent = self.root.find(self._tag(section))
        if parent is None:
            parent = self._el(section, count="0")
            later = _SECTIONS[_SECTIONS.index(section) + 1 :]
            anchor = next((c for c in self.root if etree.QName(c).localname in later), None)
            if anchor is None:
                self.root.append(parent)
            else:
                anchor.addprevious(parent)
        return parent

    def _recount(self, parent: etree._Element) -> None:
        parent.set("count", str(len([c for c in parent if isinstance(c.tag, str)])))

    def _tag(self, name: str) -> str:
        return f"{{{self.ns}}}{name}" if self.ns else name

    def _el(self, name: str, **attrs: str) -> etree._Element:
        nsmap = {self.root.prefix: self.ns} if self.ns else None
        return etree.Element(self._tag(name), attrs, nsmap=nsmap)


def _key(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


def _color_record(color: etree._Element | None) -> dict[str, object] | None:
    if color is None:
        return None
    record: dict[str, object] = {}
    if color.get("rgb"):
        record["rgb"] = normalize_argb(color.get("rgb", ""))
    for name in ("theme", "indexed"):
        if color.get(name, "").isdigit():
            record[name] = int(color.get(name, ""))
    if color.get("tint"):
        record["tint"] = float(color.get("tint", "0"))
    if color.get("auto") in ("1", "true"):
        record["auto"] = True
    return record or None


def _color_attr(name: str, value: object) -> str:
    if name == "auto":
        return "1" if value else "0"
    return repr(value) if isinstance(value, float) else str(value)

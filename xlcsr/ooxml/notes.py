"""Cell notes (comments) as xlcsr writes them: the comments part and its legacy VML drawing.

    >>> part = comments_xml([((7, 8), "截止日期早于接收日期")], NOTE_AUTHOR)
    >>> drawing = vml_xml([((7, 8), "截止日期早于接收日期")], block=1)

Notes authored by anyone else, or drawings with other shapes, are the user's: xlcsr leaves them alone.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from xlcsr.ooxml.cells import cell_ref, clean_text
from xlcsr.ooxml.styles import MAIN_NS

NOTE_AUTHOR = "xlcsr"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"


def only_note_shapes(vml: bytes) -> bool:
    shapes = len(re.findall(rb"<(?:\w+:)?shape[\s>]", vml))
    kinds = re.findall(rb"""ObjectType\s*=\s*["'](\w+)["']""", vml)
    return shapes == len(kinds) and all(k == b"Note" for k in kinds)


def comments_xml(cells: list[tuple[tuple[int, int], str]], author: str, main_ns: str = MAIN_NS) -> bytes:
    """The comments part for `cells` ((row, column), text), in SpreadsheetML namespace `main_ns`."""
    items = "".join(
        f'<comment ref="{cell_ref(r, c)}" authorId="0"><text><r><rPr><sz val="9"/>'
        f'<color indexed="81"/><rFont val="宋体"/><charset val="134"/></rPr>'
        f'<t xml:space="preserve">{escape(clean_text(text))}</t></r></text></comment>'
        for (r, c), text in cells
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<comments xmlns="{main_ns}">'
        f"<authors><author>{escape(author)}</author></authors><commentList>{items}</commentList></comments>"
    ).encode()


def vml_xml(cells: list[tuple[tuple[int, int], str]], block: int) -> bytes:
    blocks = range(block, block + len(cells) // 1024 + 1)
    shapes = "".join(_vml_shape(block * 1024 + 1 + i, r - 1, c - 1, i + 1) for i, ((r, c), _) in enumerate(cells))
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">'
        '<o:shapelayout v:ext="edit">'
        f'<o:idmap v:ext="edit" data={quoteattr(",".join(map(str, blocks)))}/></o:shapelayout>'
        '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
        '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        f"{shapes}</xml>"
    ).encode()


def _vml_shape(shape_id: int, row: int, col: int, z: int) -> str:
    top = max(row - 1, 0)
    anchor = f"{col + 1}, 15, {top}, {10 if row else 2}, {col + 3}, 15, {top + 4}, 4"
    style = (
        f"position:absolute;margin-left:{(col + 1) * 48 + 11.25}pt;margin-top:{top * 15 + 7.5}pt;"
        f"width:96pt;height:55.5pt;z-index:{z};visibility:hidden"
    )
    return (
        f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202" style="{style}" fillcolor="#ffffe1" o:insetmode="auto">'
        '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
        '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
        '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
        f"<x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill>"
        f"<x:Row>{row}</x:Row><x:Column>{col}</x:Column></x:ClientData></v:shape>"
    )

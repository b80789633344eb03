"""The ribbon tab 顾客特殊要求 as customUI XML, generated from the button table.

    >>> from xlcsr.excel.addin.ribbon import ribbon_xml
    >>> 'tag="validate"' in ribbon_xml()
    True

Every button calls the one VBA dispatcher `xlcsr_button` (macros/xlcsr.bas), which passes the
button's tag to `xlcsr.excel.dispatch`. `macros/customUI.xml` is this function's output, committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import quoteattr

from xlcsr.excel.buttons import BUTTONS, Button

NAMESPACE = "http://schemas.microsoft.com/office/2009/07/customui"
TAB_ID = "xlcsrTab"
TAB_LABEL = "顾客特殊要求"
ON_ACTION = "xlcsr_button"


def ribbon_xml(buttons: Iterable[Button] = BUTTONS) -> str:
    """customUI XML (2009/07 schema): one tab, a group per `Button.group`, one large button per entry."""
    groups: dict[str, list[Button]] = {}
    for button in buttons:
        groups.setdefault(button.group, []).append(button)
    lines = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        f'<customUI xmlns="{NAMESPACE}">',
        "  <ribbon>",
        "    <tabs>",
        f'      <tab id="{TAB_ID}" label={quoteattr(TAB_LABEL)}>',
    ]
    for number, (group, members) in enumerate(groups.items(), start=1):
        lines.append(f'        <group id="xlcsrGroup{number}" label={quoteattr(group)}>')
        for b in members:
            lines.append(
                f'          <button id="xlcsr_{b.tag}" tag={quoteattr(b.tag)} label={quoteattr(b.label)}'
                f' imageMso={quoteattr(b.image)} size="large" screentip={quoteattr(b.label)}'
                f' supertip={quoteattr(b.tip)} onAction="{ON_ACTION}"/>'
            )
        lines.append("        </group>")
    lines += ["      </tab>", "    </tabs>", "  </ribbon>", "</customUI>", ""]
    return "\n".join(lines)

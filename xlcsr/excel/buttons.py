"""The ribbon's buttons, one table: tag, Chinese label, icon, tip, and the action the tag runs.

    >>> [b.tag for b in BUTTONS]
    ['validate', 'assign', 'new_register']

Adding a button is one entry here: the ribbon XML (`xlcsr.addin.ribbon`) and `dispatch` both read
this table. `action` names a function in `xlcsr.excel.live_actions` taking the calling xlwings Book.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    tag: str
    label: str
    image: str  # a built-in Office icon (imageMso)
    tip: str
    action: str
    group: str = "清单"


BUTTONS: tuple[Button, ...] = (
    Button("validate", "校验", "ReviewAcceptChange", "校验清单并标出问题单元格，问题列在「校验结果」表",
           "validate_book"),
    Button("assign", "分配案件号", "NumberingGallery", "为有效行分配案件号，补齐截止日期与处理状态",
           "assign_book"),
    Button("new_register", "新建清单", "FileNew", "按模板新建一份顾客特殊要求清单", "new_register"),
)

BUTTON_BY_TAG: dict[str, Button] = {b.tag: b for b in BUTTONS}

"""The ribbon's buttons, one table: tag, Chinese label, icon, tip, and the action the tag runs.

    >>> [b.tag for b in BUTTONS][:3]
    ['validate', 'assign', 'highlight']

Adding a button is one entry here: the ribbon XML (`xlcsr.excel.addin.ribbon`) and `dispatch` both read
this table. `action` names a function in `xlcsr.excel.button_actions` taking the calling xlwings Book.
`image` is a built-in Office icon listed in `imagemso.txt` beside this module (Microsoft's published
imageMso table; `tests/test_ribbon_messages.py` checks it): Excel drops an icon it does not know, or
the whole group.
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
    Button("validate", "校验", "DataValidationCircleInvalid", "校验清单并标出问题单元格，问题列在「校验结果」表",
           "validate_book"),
    Button("assign", "分配案件号", "Numbering", "为有效行分配案件号，补齐截止日期与处理状态",
           "assign_book"),
    Button("highlight", "标记逾期", "ReviewHighlightChanges",
           "用条件格式标出逾期（红）、即将到期（黄）和已完成（灰）的案件，刷新「逾期天数」列", "highlight_book"),
    Button("remind", "发送提醒", "FileSendAsAttachment",
           "先预览谁会收到哪些逾期与即将到期的案件，确认后发送提醒邮件（读取工作簿所在文件夹的 xlcsr.toml）",
           "remind_book"),
    Button("new_register", "新建清单", "FileNew", "按模板新建一份顾客特殊要求清单", "new_register"),
    Button("import", "导入", "FileOpen",
           "选择一份旧清单（.xls、.xlsx、.ods 或 CSV），按模板新建清单并导入全部行；无法映射的值原样保留并列出",
           "import_book"),
    Button("signoff", "生成会签表", "ReviewShareWorkbook",
           "为每个部门生成只列其待答复案件的会签表（受保护，只能填写答复），保存在清单所在文件夹的「会签」中",
           "signoff_book", "会签"),
    Button("collect", "收集会签", "ReviewAcceptChange",
           "选择填好的会签表，把完整有效的答复写入「会签记录」并更新案件状态", "collect_book", "会签"),
    Button("record", "打印评审记录表", "FilePrint",
           "为所选行的案件（未选时为全部已评审案件）填写评审记录表并转为 PDF", "record_book", "会签"),
    Button("track", "记录变更", "ReviewTrackChanges",
           "把自上次记录以来的改动记入「变更记录」；已会签案件的要求改动后重新发起受影响部门的会签",
           "track_book", "会签"),
    Button("doctor", "诊断", "Help",
           "检查 Python、xlwings 与加载项版本、配置文件、邮件服务器、每晚任务和清单文件夹，并给出解决办法",
           "doctor_book", "帮助"),
)

BUTTON_BY_TAG: dict[str, Button] = {b.tag: b for b in BUTTONS}

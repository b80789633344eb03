"""The register's fields: key, Chinese header, aliases and English header (DESIGN.md).

    >>> field_for_header(" Case  No. ").key
    'case_no'
    >>> field_for_header("案件编号").key
    'case_no'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    CHOICE = "choice"
    LIST = "list"
    INT = "int"


@dataclass(frozen=True)
class Field:
    key: str
    header: str
    aliases: tuple[str, ...]
    english: str
    kind: Kind = Kind.TEXT
    required: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return (self.header, *self.aliases, self.english)


FIELDS: tuple[Field, ...] = (
    Field("case_no", "案件号", ("案件编号", "编号", "追踪号"), "Case No."),
    Field("customer", "客户名称", ("客户", "顾客", "顾客名称"), "Customer", required=True),
    Field("product", "产品/项目", ("产品", "项目", "零件号", "产品名称", "零件名称", "项目名称"), "Product"),
    Field("requirement", "要求描述", ("特殊要求", "要求内容", "顾客特殊要求", "特殊要求内容", "要求事项",
                                      "顾客特殊要求内容", "客户特殊要求"), "Requirement", required=True),
    Field("category", "类别", ("要求类别", "分类"), "Category", Kind.CHOICE),
    Field("source", "来源", ("要求来源",), "Source", Kind.CHOICE),
    Field("source_ref", "来源文件及版本", ("文件编号", "版本"), "Source document"),
    Field("iatf_clause", "对应条款", ("IATF条款",), "IATF clause"),
    Field("received", "接收日期", ("要求日期", "识别日期", "日期"), "Received", Kind.DATE,
          required=True),
    Field("priority", "优先级", (), "Priority", Kind.CHOICE),
    Field("due", "截止日期", ("完成期限", "期限", "计划完成日期", "要求完成日期", "计划完成时间"), "Due", Kind.DATE),
    Field("departments", "责任部门", ("执行部门", "相关部门"), "Departments", Kind.LIST),
    Field("owner", "负责人", ("处理人", "责任人", "跟进人"), "Owner"),
    Field("status", "处理状态", ("状态", "完成情况", "进度", "状态说明", "处理情况"), "Status", Kind.CHOICE),
    Field("contract_type", "合同类型", (), "Contract type", Kind.CHOICE),
    Field("closed", "完成日期", (), "Closed", Kind.DATE),
    Field("remarks", "备注", ("处理备注",), "Remarks"),
    Field("revision", "版本号", (), "Revision", Kind.INT),
)

FIELD_BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}

LIST_SEPARATORS = re.compile(r"[、,，;；/\n]+")


def normalize(text: object) -> str:
    """Header text folded for matching: no spaces of any kind, lower case, full-width ASCII narrowed."""
    s = str(text or "")
    s = "".join(chr(ord(ch) - 0xFEE0) if "！" <= ch <= "～" else ch for ch in s)
    return re.sub(r"\s+", "", s).lower()


_BY_NAME: dict[str, Field] = {normalize(n): f for f in FIELDS for n in f.names}


def field_for_header(text: object) -> Field | None:
    """The field a header cell names, or None for a column xlcsr does not know."""
    return _BY_NAME.get(normalize(text))


def split_list(text: str) -> list[str]:
    """Split a multi-value cell such as '技术部、品质部' into its items."""
    return [part.strip() for part in LIST_SEPARATORS.split(text or "") if part.strip()]

"""Problems found in a register, as data: a fixed code, where it is, and a message per code.

    >>> issue = Issue.make(Code.MISSING, row=5, column="B", field="customer", value="")
    >>> issue.message
    '客户名称不能为空'
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from xlcsr.domain.fields import FIELD_BY_KEY


class Code(StrEnum):
    MISSING = "missing"
    BAD_DATE = "bad_date"
    BAD_CHOICE = "bad_choice"
    DUPLICATE = "duplicate"
    DATE_ORDER = "date_order"
    CLOSED_WITHOUT_DATE = "closed_without_date"
    UNKNOWN_DEPARTMENT = "unknown_department"
    UNKNOWN_OWNER = "unknown_owner"
    BAD_CASE_NO = "bad_case_no"
    FORMULA = "formula"
    # warnings: the run goes on, the user should know
    DEFAULT_SETTINGS = "default_settings"
    DUPLICATE_COLUMN = "duplicate_column"
    UNMAPPED_COLUMN = "unmapped_column"
    FUTURE_DATE = "future_date"
    PLACEHOLDER_EMAIL = "placeholder_email"
    REVIEW_LATE = "review_late"
    REVIEW_REJECTED = "review_rejected"
    CLOSED_WITHOUT_ROLLOUT = "closed_without_rollout"
    LOG_TAMPERED = "log_tampered"
    CASE_REMOVED = "case_removed"
    CASE_RENUMBERED = "case_renumbered"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


WARNING_CODES = frozenset({Code.DEFAULT_SETTINGS, Code.DUPLICATE_COLUMN, Code.UNMAPPED_COLUMN, Code.FUTURE_DATE,
                           Code.PLACEHOLDER_EMAIL, Code.REVIEW_LATE, Code.REVIEW_REJECTED,
                           Code.CLOSED_WITHOUT_ROLLOUT, Code.LOG_TAMPERED, Code.CASE_REMOVED,
                           Code.CASE_RENUMBERED})

# (Chinese, English) message templates; fields: header, value, extra
TEMPLATES: dict[Code, tuple[str, str]] = {
    Code.MISSING: ("{header}不能为空", "{header_en} is required"),
    Code.BAD_DATE: ("{header}「{value}」不是有效日期（可用 2026-11-03、2026/11/3、2026年11月3日）",
                    "{header_en} '{value}' is not a date (use 2026-11-03, 2026/11/3 or 2026年11月3日)"),
    Code.BAD_CHOICE: ("{header}「{value}」不在可选值中：{extra}",
                      "{header_en} '{value}' is not one of: {extra}"),
    Code.DUPLICATE: ("案件号「{value}」重复，已用于第 {extra} 行",
                     "case number '{value}' is also used in row {extra}"),
    Code.DATE_ORDER: ("{header}「{value}」早于接收日期 {extra}",
                      "{header_en} '{value}' is before the received date {extra}"),
    Code.CLOSED_WITHOUT_DATE: ("状态为已完成，但完成日期为空", "status is Done but Closed is empty"),
    Code.UNKNOWN_DEPARTMENT: ("责任部门「{value}」不在设置的部门中：{extra}",
                              "department '{value}' is not a configured department: {extra}"),
    Code.UNKNOWN_OWNER: ("负责人「{value}」不在设置的人员中", "owner '{value}' is not a person in the settings"),
    Code.BAD_CASE_NO: ("案件号「{value}」不符合格式 {extra}",
                       "case number '{value}' does not match the pattern {extra}"),
    Code.FORMULA: ("{header}含公式或以 = + - @ 开头的文字「{value}」，应为普通文字",
                   "{header_en} holds a formula or text starting with = + - @: '{value}'"),
    Code.DEFAULT_SETTINGS: ("工作簿没有「设置」工作表，已使用默认设置",
                            "the workbook has no 设置 sheet; default settings were used"),
    Code.DUPLICATE_COLUMN: ("第 {extra} 列与前面的列同为「{header}」，已按未知列保留",
                            "column {extra} repeats {header_en}; kept as an unknown column"),
    Code.UNMAPPED_COLUMN: ("{extra} 列「{value}」看起来是{header}，但未映射：在「设置」的【列映射】加一行 "
                           "{value} → {header}，或运行 xlcsr columns 清单.xlsx --apply",
                           "column {extra} '{value}' looks like {header_en} but is not mapped: add {value} → "
                           "{header_en} to 【列映射】 in 设置, or run xlcsr columns BOOK --apply"),
    Code.FUTURE_DATE: ("{header}「{value}」晚于今天 {extra}，请确认", "{header_en} '{value}' is after today {extra}"),
    Code.PLACEHOLDER_EMAIL: ("{extra}：「{value}」是示例地址（保留域名），不会向它发送提醒，请改为真实邮箱",
                             "{extra}: '{value}' is an example address (a reserved domain); no reminder is sent "
                             "to it, enter a real address"),
    Code.REVIEW_LATE: ("接收后超过 {extra} 个工作日仍未完成评审，待会签：{value}",
                       "not fully reviewed {extra} working days after receipt; waiting on: {value}"),
    Code.REVIEW_REJECTED: ("评审未通过：{value}，案件停留在评审中", "review turned down: {value}; the case stays "
                           "under review"),
    Code.CLOSED_WITHOUT_ROLLOUT: ("已完成，但 {value} 尚未确认落实，且备注中未说明原因",
                                  "closed while {value} has not confirmed the rollout, and no reason in Remarks"),
    Code.LOG_TAMPERED: ("「变更记录」第 {value} 行{extra}：记录不可修改，请从备份恢复或联系管理员",
                        "row {value} of 变更记录 {extra}: the log must not be edited; restore it from a backup "
                        "or tell the administrator"),
    Code.CASE_REMOVED: ("案件「{value}」已从清单中删除：案件号不应消失，请改为状态「已取消」",
                        "case '{value}' was deleted from the register: case numbers must not vanish; set its "
                        "status to 已取消 instead"),
    Code.CASE_RENUMBERED: ("案件号由「{extra}」改为「{value}」：案件号不应更改",
                           "case number '{extra}' was changed to '{value}': case numbers must not change"),
}


@dataclass(frozen=True)
class Issue:
    code: Code
    row: int | None
    column: str | None
    field: str | None
    value: str
    message: str
    message_en: str

    @classmethod
    def make(cls, code: Code, *, row: int | None = None, column: str | None = None,
             field: str | None = None, value: object = "", extra: object = "",
             extra_en: object = None) -> Issue:
        """`extra_en` replaces `extra` in the English message when the two languages need different words."""
        known = FIELD_BY_KEY.get(field or "")
        names = {"header": known.header if known else (field or ""),
                 "header_en": known.english if known else (field or ""),
                 "value": _short(value), "extra": extra}
        zh, en = TEMPLATES[code]
        english = names if extra_en is None else {**names, "extra": extra_en}
        return cls(code, row, column, field, _short(value), zh.format(**names), en.format(**english))

    @property
    def severity(self) -> Severity:
        return Severity.WARNING if self.code in WARNING_CODES else Severity.ERROR

    @property
    def cell(self) -> str | None:
        return f"{self.column}{self.row}" if self.column and self.row else None

    def to_dict(self, lang: str = "zh") -> dict[str, object]:
        return {"row": self.row, "column": self.column, "field": self.field, "code": str(self.code),
                "value": self.value, "message": self.text(lang), "message_en": self.message_en}

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def label(self, lang: str = "zh") -> str:
        """The field's header as the user knows it."""
        return _label(self.field, lang)

    def text(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message


@dataclass
class ValidationReport:
    """What validate found: the row count and every issue; validity is derived."""

    sheet: str
    rows: int
    issues: list[Issue]

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> set[int]:
        return {i.row for i in self.errors if i.row is not None}

    def to_json(self, lang: str = "zh") -> dict[str, object]:
        return {"rows": self.rows, "errors": [i.to_dict(lang) for i in self.errors],
                "warnings": [i.to_dict(lang) for i in self.warnings]}

    def summary(self, lang: str = "zh") -> str:
        """One line for the terminal and the ribbon: rows, rows with problems, errors, warnings."""
        if not self.issues:
            return (f"{self.sheet}: {self.rows} rows, no problems found" if lang == "en"
                    else f"「{self.sheet}」共 {self.rows} 行，未发现问题")
        counts = len(self.bad_rows), len(self.errors), len(self.warnings)
        if lang == "en":
            return "{}: {} rows, {} with problems, {} errors, {} warnings".format(self.sheet, self.rows, *counts)
        return "「{}」共 {} 行：{} 行有问题，{} 个错误，{} 个提醒".format(self.sheet, self.rows, *counts)

    def to_rows(self, lang: str = "zh") -> list[list[object]]:
        """One row per issue for the 校验结果 sheet and the terminal table."""
        return [[i.row, i.cell or "", i.label(lang), str(i.code), i.text(lang), i.value] for i in self.issues]


def _label(field: str | None, lang: str) -> str:
    known = FIELD_BY_KEY.get(field or "")
    if not known:
        return field or ""
    return known.english if lang == "en" else known.header


def _short(value: object, limit: int = 40) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"

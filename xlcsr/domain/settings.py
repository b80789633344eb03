"""Register settings (the 设置 sheet) as a typed model, with the defaults a new register gets.

    >>> DEFAULT_SETTINGS.sla_days("高")
    5
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xlcsr.domain.vocab import CATEGORIES, DATE_SENSITIVE, DEFAULT_PRIORITY, PRIORITIES, SOURCES


class Department(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    head: str = ""
    email: str = ""
    manager_email: str = ""


class Person(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    department: str = ""
    email: str = ""


# Domains reserved for examples and tests (RFC 2606, RFC 6761): an address under one reaches nobody,
# so it is an example the user has not replaced yet, never a recipient.
RESERVED_DOMAINS = ("example.com", "example.org", "example.net", "example", "invalid", "test", "localhost")
_ADDRESS_SEPARATORS = re.compile(r"[;,，；、\n]+")


@lru_cache(maxsize=4096)  # the same few addresses are asked about for every case of a register
def email_addresses(text: str) -> tuple[str, ...]:
    """The addresses of one e-mail cell: one, or several separated by ; , ，；、 or a line break."""
    return tuple(part.strip() for part in _ADDRESS_SEPARATORS.split(text or "") if part.strip())


@lru_cache(maxsize=4096)
def is_placeholder_email(text: str) -> bool:
    """True when an address of `text` lies under a reserved domain (example.com, *.invalid, localhost …).

        >>> is_placeholder_email("张伟 <zhang.wei@example.com>"), is_placeholder_email("li@factory.cn")
        (True, False)
    """
    for address in email_addresses(text):
        _, at, domain = address.rstrip(">").rpartition("@")
        domain = domain.strip().rstrip(".").lower()
        if at and any(domain == reserved or domain.endswith("." + reserved) for reserved in RESERVED_DOMAINS):
            return True
    return False


class Priority(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    english: str
    sla_days: int = Field(ge=0)


class CalendarDay(BaseModel):
    """A dated entry of the working calendar: a holiday, or a make-up working day (调休上班日)."""

    model_config = ConfigDict(frozen=True)
    day: date
    note: str = ""


class Settings(BaseModel):
    """Everything a register's 设置 sheet can say; `from_defaults` is True when it had none."""

    model_config = ConfigDict(frozen=True)
    categories: tuple[str, ...] = CATEGORIES
    sources: tuple[str, ...] = SOURCES
    departments: tuple[Department, ...] = ()
    people: tuple[Person, ...] = ()
    priorities: tuple[Priority, ...] = tuple(
        Priority(name=zh, english=en, sla_days=days) for (zh, en), days in zip(PRIORITIES.items(), (5, 10, 20))
    )
    default_priority: str = DEFAULT_PRIORITY
    holidays: tuple[CalendarDay, ...] = ()
    workdays: tuple[CalendarDay, ...] = ()  # 调休: weekend days that are working days
    case_pattern: str = "CSR-{year}-{seq:04d}"
    lead_days: int = Field(default=3, ge=0)
    escalation_days: int = Field(default=5, ge=0)
    review_days: int = Field(default=10, ge=0)
    digest_limit: int = Field(default=50, ge=1)  # cases listed per section of a reminder e-mail
    date_sensitive: tuple[str, ...] = DATE_SENSITIVE  # departments whose sign-off rests on the due date too
    column_map: dict[str, str] = Field(default_factory=dict)  # the user's header → field key (【列映射】)
    value_map: dict[str, dict[str, str]] = Field(default_factory=dict)  # field key → {user's word: value} (【值映射】)
    from_defaults: bool = False

    @model_validator(mode="after")
    def _default_priority_is_listed(self) -> Settings:
        if self._priority(self.default_priority) is None:
            shown = "、".join(p.name for p in self.priorities)
            raise ValueError(f"默认优先级「{self.default_priority}」不在优先级中（现有：{shown}）"
                             f" / default priority {self.default_priority!r} is not one of the priorities")
        return self

    def sla_days(self, priority: str) -> int:
        """Working days allowed for `priority` (Chinese or English, any case); the default's for any other."""
        found = self._priority(priority) or self._priority(self.default_priority)
        assert found is not None  # the validator above saw to it
        return found.sla_days

    def _priority(self, value: str) -> Priority | None:
        return next((p for p in self.priorities
                     if value in (p.name, p.english) or value.lower() == p.english.lower()), None)

    @property
    def person_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.people)


_DEPARTMENTS = (
    ("市场部", "王芳", "wang.fang"), ("技术部", "李强", "li.qiang"), ("品质部", "张伟", "zhang.wei"),
    ("生产部", "刘洋", "liu.yang"), ("采购部", "陈静", "chen.jing"), ("财务部", "赵敏", "zhao.min"),
    ("总经理", "周建国", "zhou.jianguo"),
)
_DOMAIN = "example.com"  # reserved (RESERVED_DOMAINS): the example people get no mail until replaced

# 2026 statutory holidays and 调休 working days (国务院办公厅通知), a starting point users edit.
_HOLIDAYS_2026 = (
    ("2026-01-01", "元旦"), ("2026-01-02", "元旦"), ("2026-02-16", "春节"), ("2026-02-17", "春节"),
    ("2026-02-18", "春节"), ("2026-02-19", "春节"), ("2026-02-20", "春节"), ("2026-02-23", "春节"),
    ("2026-04-06", "清明节"), ("2026-05-01", "劳动节"), ("2026-05-04", "劳动节"),
    ("2026-05-05", "劳动节"), ("2026-06-19", "端午节"), ("2026-09-25", "中秋节"),
    ("2026-10-01", "国庆节"), ("2026-10-02", "国庆节"), ("2026-10-05", "国庆节"),
    ("2026-10-06", "国庆节"), ("2026-10-07", "国庆节"),
)
_WORKDAYS_2026 = (("2026-01-04", "元旦调休"), ("2026-02-14", "春节调休"), ("2026-02-28", "春节调休"),
                  ("2026-05-09", "劳动节调休"), ("2026-09-20", "国庆节调休"),
                  ("2026-10-10", "国庆节调休"))

DEFAULT_SETTINGS = Settings(
    departments=tuple(
        Department(name=d, head=head, email=f"{mail}@{_DOMAIN}", manager_email=f"zhou.jianguo@{_DOMAIN}")
        for d, head, mail in _DEPARTMENTS
    ),
    people=tuple(Person(name=head, department=d, email=f"{mail}@{_DOMAIN}") for d, head, mail in _DEPARTMENTS),
    holidays=tuple(CalendarDay(day=date.fromisoformat(d), note=n) for d, n in _HOLIDAYS_2026),
    workdays=tuple(CalendarDay(day=date.fromisoformat(d), note=n) for d, n in _WORKDAYS_2026),
)

"""The product's words, each defined once: statuses, choices, sheet, file and defined names, formats.

    >>> from xlcsr.domain.vocab import CLOSED_STATUSES, REGISTER_SHEET
    >>> REGISTER_SHEET, CLOSED_STATUSES
    ('清单', ('已完成', '已取消'))

Everything else imports these names; a second copy of one of these strings is a bug waiting for a rename.
"""

from __future__ import annotations

# --- choices (Chinese → English), DESIGN.md

STATUSES = {"待处理": "Open", "评审中": "Under review", "处理中": "In progress",
            "已完成": "Done", "已取消": "Cancelled"}
OPEN, UNDER_REVIEW, IN_PROGRESS, DONE, CANCELLED = STATUSES
CLOSED_STATUSES = (DONE, CANCELLED)
PRIORITIES = {"高": "High", "中": "Medium", "低": "Low"}
DEFAULT_PRIORITY = "中"
CONTRACT_TYPES = {"常规": "Regular", "特殊": "Special"}
SOURCES = ("技术协议", "质量协议", "环保协议", "图纸", "产品规范", "订单合同", "以往类似产品",
           "客户门户", "其他")
REVIEW_OPINIONS = ("可满足", "有条件满足", "不能满足")  # a department's answer on a sign-off
APPROVALS = ("批准", "不批准")  # the general manager's, for special contracts
APPROVER = "总经理"
IDENTIFIER = "市场部"  # the department that identifies a requirement (客户特殊要求识别程序)
ROLLOUT_DONE = "已落实"  # a department's confirmation that the requirement is in its own documents
NOTE_REQUIRED = ("有条件满足", "不能满足", "不批准")  # answers that need a 说明
REJECTIONS = ("不能满足", "不批准")
DATE_SENSITIVE = ("生产部", "采购部")  # departments whose answer rests on the due date too (default)
MANUAL_SOURCE = "手工"  # 变更记录's 来源 of a hand edit found by track (else the xlcsr command)
REVIEWED_FIELDS = ("requirement", "due", "departments", "category", "contract_type")  # a change re-opens review
# Users' own words for a choice → the configured value (lower case; the 【值映射】 block of 设置 adds more).
VALUE_SYNONYMS: dict[str, dict[str, str]] = {
    "status": {
        **dict.fromkeys(("进行中", "跟进中", "处理中", "执行中", "实施中", "ongoing", "in progress", "wip"),
                        IN_PROGRESS),
        **dict.fromkeys(("未开始", "新建", "待定", "未处理", "待处理", "new", "not started", "pending", "open"), OPEN),
        **dict.fromkeys(("审核中", "评审", "待评审", "review", "under review"), UNDER_REVIEW),
        **dict.fromkeys(("完成", "已完成", "关闭", "已关闭", "结案", "已结案", "ok", "done", "closed", "complete",
                         "completed", "finished"), DONE),
        **dict.fromkeys(("取消", "作废", "已作废", "撤销", "cancelled", "canceled", "void"), CANCELLED),
    },
    "priority": {**dict.fromkeys(("紧急", "急", "特急", "urgent"), "高"),
                 **dict.fromkeys(("一般", "普通", "正常", "normal"), "中"),
                 **dict.fromkeys(("不急", "minor"), "低")},
    "contract_type": {**dict.fromkeys(("一般", "普通", "标准", "常规合同", "standard", "normal"), "常规"),
                      **dict.fromkeys(("特殊合同", "special contract"), "特殊")},
}
CATEGORIES = ("产品", "测量", "环保", "包装", "追溯", "交付", "质量体系", "第三方供应商", "售后服务",
              "商务", "其他")

# --- the register workbook's sheets

REGISTER_SHEET = "清单"
SETTINGS_SHEET = "设置"
STATE_SHEET = "_xlcsr"
RESULT_SHEET = "校验结果"
CHANGELOG_SHEET = "变更记录"
REPORT_SHEET = "统计报表"
SIGNOFF_LOG_SHEET = "会签记录"
OWN_SHEETS = (SETTINGS_SHEET, STATE_SHEET, RESULT_SHEET, CHANGELOG_SHEET, REPORT_SHEET,
              SIGNOFF_LOG_SHEET)  # never the register
SIGNOFF_SHEET = "会签"  # the sheet of a sign-off workbook
SEAL_SHEET = "_xlcsr_seal"  # its very hidden seal
ROLLOUT_HEADER = "落实情况"  # the register column xlcsr keeps: "3/4 已落实"
REVIEW_SHEET = "评审记录"  # the one sheet of the review form
HISTORY_SHEET, DIFF_SHEET = "案件履历", "差异"  # the sheets of `xlcsr history --out` and `xlcsr diff --out`
RECEIVED_EVENT, NOW_EVENT = "接收", "现状"  # a case history's first and last lines

# --- files and folders

REGISTER_FILE = "顾客特殊要求清单.xlsx"
REVIEW_FILE = "顾客特殊要求评审记录表.xlsx"
CONFIG_FILE = "xlcsr.toml"
BACKUP_DIR = ".xlcsr-backup"
STORE_DIR = ".xlcsr"  # beside each register: its SQLite store (the sent log), shared by every front
STORE_FILE = "xlcsr.sqlite"
SIGNOFF_DIR, RECORD_DIR = SIGNOFF_SHEET, REVIEW_SHEET  # folders beside the register: sign-off books, forms
RECORD_STEM = "评审记录表"  # a case's filled review form: 评审记录表-<case>.xlsx

# --- defined names over the 设置 date lists, for Excel formulas that count working days

HOLIDAYS_NAME, WORKDAYS_NAME = "xlcsr_节假日", "xlcsr_调休上班日"
DATE_LIST_NAMES: dict[str, str] = {HOLIDAYS_NAME: "holidays", WORKDAYS_NAME: "workdays"}  # name → Settings field

# --- number formats

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

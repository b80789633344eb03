"""A large, realistic register for the benchmarks, written by xlsxwriter (building is not timed).

    >>> info = build(Path("清单.xlsx"), rows=1000)         # doctest: +SKIP
    >>> info["unnumbered"][:2], info["invalid"]["bad_date"]    # doctest: +SKIP
    ([['A54', 'CSR-2019-0055'], ['A154', 'CSR-2020-0080']], 5)
    >>> path, info = cached(1000)        # doctest: +SKIP - built once per size and version, in the temp folder

What it holds, all from one seeded random generator (the same file for the same size every time):

- 清单: title and form-number rows, the header in row 3 (the template's 18 columns plus a user column
  客户对接人), one CSR per row from row 4, received dates over the ten years before 2026-11-25 (more
  in recent years), customers, parts and requirement texts a Chinese automotive supplier writes,
  statuses by age (old cases mostly 已完成 with a closed date, some left open and overdue).
  Dropdowns and autofilter over the data, frozen panes, borders and date formats on every cell.
- 5% invalid rows (every 20th), ten kinds in turn: bad_date, missing, bad_choice,
  unknown_department, unknown_owner, date_order, closed_without_date, duplicate, bad_case_no, formula.
- 1% valid rows without a case number (every 100th, spread over the whole sheet: a patch writer's
  worst case), the rows `xlcsr assign` numbers; `info["unnumbered"]` lists each cell and the number
  assign gives it, so the baselines write the same cells and the runner can check assign did.
- 设置: the template's blocks (xlcsr.workbook.settings_sheet), with eight departments and 23 people
  at csrplant.cn so reminders have recipients, the 2025–2026 holidays, and a 【值映射】 entry
  (跟踪中 → 处理中) that some rows use.
- 变更记录 (headers only), a user sheet 客户信息 (contacts, COUNTIF formulas over 清单 and a chart),
  and the very hidden `_xlcsr` sheet with the case-number high-water marks.

Options (`Options`, run.py's --open and --no-settings) make the worst cases: every case open and
overdue (`open_share=1.0`), no 设置 sheet (`settings_sheet=False`). They are part of the cache key.

Strings go to the shared-string table (as Excel and WPS write them), so the writer is not run in
constant-memory mode: 100,000 rows take about 20 s and a few hundred MB to build.
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter

from xlcsr.domain.case_pattern import CasePattern
from xlcsr.domain.fields import FIELDS
from xlcsr.domain.records import column_letter
from xlcsr.domain.settings import DEFAULT_SETTINGS, CalendarDay, Department, Person, Settings
from xlcsr.domain.vocab import (
    APPROVER,
    CANCELLED,
    CHANGELOG_SHEET,
    CONTRACT_TYPES,
    DATE_FORMAT,
    DONE,
    IN_PROGRESS,
    OPEN,
    REGISTER_SHEET,
    SETTINGS_SHEET,
    STATE_SHEET,
    STATUSES,
    UNDER_REVIEW,
)
from xlcsr.files.settings_writer import block_rows
from xlcsr.workbook.changelog import CHANGELOG_HEADERS
from xlcsr.workbook.settings_sheet import (
    BLOCK_COLUMNS,
    BLOCKS,
    FIRST_DATA_ROW,
    HEADER_ROW,
    LIST_NAMES,
    TITLE_ROW,
    list_range,
)
from xlcsr.workbook.state import state_rows

TODAY = date(2026, 11, 25)
YEARS = 10
SEED = 20261125
INVALID_EVERY, INVALID_FROM = 20, 7  # 5%: rows 7, 27, 47 … of the data (0-based index)
UNNUMBERED_EVERY, UNNUMBERED_FROM = 100, 50  # 1%: never an invalid row (50 % 20 != 7)
REGISTER_HEADER_ROW = 3  # 1-based, as in the template (xlcsr.files.new_books)
USER_SHEET = "客户信息"
USER_COLUMN = "客户对接人"
HEADERS = [f.header for f in FIELDS] + [USER_COLUMN]
COL = {f.key: i for i, f in enumerate(FIELDS)}  # field key → 0-based column
INVALID_KINDS = ("bad_date", "missing", "bad_choice", "unknown_department", "unknown_owner", "date_order",
                 "closed_without_date", "duplicate", "bad_case_no", "formula")
CACHE_DIR = Path(tempfile.gettempdir()) / "xlcsr-bench"
VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:10]  # a changed builder builds anew
DOMAIN = "csrplant.cn"

# ---------------------------------------------------------------- who works here (设置)

_MANAGER = f"zhou.jianguo@{DOMAIN}"  # 总经理
_VICE = f"sun.hongwei@{DOMAIN}"  # 副总经理 (operations)
_STAFF = {  # department → (head, e-mail name), then the others
    "市场部": [("王芳", "wang.fang"), ("郭晓东", "guo.xiaodong"), ("韩雪", "han.xue"), ("邓超然", "deng.chaoran")],
    "技术部": [("李强", "li.qiang"), ("黄志刚", "huang.zhigang"), ("吴丹", "wu.dan"), ("徐海峰", "xu.haifeng"),
            ("冯晓", "feng.xiao")],
    "品质部": [("张伟", "zhang.wei"), ("马丽娟", "ma.lijuan"), ("胡斌", "hu.bin"), ("林涛", "lin.tao"),
            ("何静", "he.jing")],
    "生产部": [("刘洋", "liu.yang"), ("高建军", "gao.jianjun"), ("罗鹏", "luo.peng")],
    "采购部": [("陈静", "chen.jing"), ("谢宇航", "xie.yuhang")],
    "物流部": [("杨帆", "yang.fan"), ("宋佳", "song.jia")],
    "财务部": [("赵敏", "zhao.min")],
    APPROVER: [("周建国", "zhou.jianguo")],
}
_TRACKING_WORD = "跟踪中"  # a user's own word for 处理中, mapped in 【值映射】


def settings() -> Settings:
    """The register's 设置: the template's defaults with this plant's people and calendar."""
    ops = {"生产部", "采购部", "物流部"}
    departments = tuple(
        Department(name=d, head=people[0][0], email=f"{people[0][1]}@{DOMAIN}",
                   manager_email=_VICE if d in ops else _MANAGER)
        for d, people in _STAFF.items())
    people = tuple(Person(name=name, department=d, email=f"{mail}@{DOMAIN}")
                   for d, staff in _STAFF.items() for name, mail in staff)
    holidays_2025 = (("2025-01-01", "元旦"), *((f"2025-01-{d}", "春节") for d in range(28, 32)),
                     *((f"2025-02-0{d}", "春节") for d in range(1, 5)), ("2025-04-04", "清明节"),
                     ("2025-05-01", "劳动节"), ("2025-05-02", "劳动节"), ("2025-05-05", "劳动节"),
                     ("2025-06-02", "端午节"), *((f"2025-10-0{d}", "国庆节、中秋节") for d in range(1, 9)))
    workdays_2025 = (("2025-01-26", "春节调休"), ("2025-02-08", "春节调休"), ("2025-04-27", "劳动节调休"),
                     ("2025-09-28", "国庆节调休"), ("2025-10-11", "国庆节调休"))
    return DEFAULT_SETTINGS.model_copy(update={
        "departments": departments,
        "people": people,
        "holidays": tuple(CalendarDay(day=date.fromisoformat(d), note=n) for d, n in holidays_2025)
        + DEFAULT_SETTINGS.holidays,
        "workdays": tuple(CalendarDay(day=date.fromisoformat(d), note=n) for d, n in workdays_2025)
        + DEFAULT_SETTINGS.workdays,
        "value_map": {"status": {_TRACKING_WORD: IN_PROGRESS}},
    })


# ---------------------------------------------------------------- what the plant's customers ask

_CUSTOMERS = (  # name, code, contact
    ("比亚迪汽车工业有限公司", "BYD", "刘工"), ("长城汽车股份有限公司", "GWM", "孙经理"),
    ("浙江吉利控股集团", "GEELY", "钱工"), ("上汽大众汽车有限公司", "SVW", "Mr. Weber"),
    ("一汽-大众汽车有限公司", "FAW-VW", "许工"), ("广汽乘用车有限公司", "GAC", "梁经理"),
    ("重庆长安汽车股份有限公司", "CA", "唐工"), ("奇瑞汽车股份有限公司", "CHERY", "方工"),
    ("东风日产乘用车公司", "DFN", "田中"), ("上汽通用五菱汽车股份有限公司", "SGMW", "覃工"),
    ("蔚来汽车", "NIO", "Lily"), ("理想汽车", "LI", "曹工"), ("小鹏汽车", "XPENG", "邹工"),
    ("宁德时代新能源科技股份有限公司", "CATL", "叶工"), ("博世汽车部件（苏州）有限公司", "BOSCH", "Mr. Klein"),
)
_PARTS = ("前保险杠支架", "后纵梁加强板", "座椅骨架总成", "发动机线束总成", "转向节", "制动钳支架", "门锁扣",
          "电池包下壳体", "仪表板横梁", "散热器支架", "油箱固定带", "电机壳体", "铝合金控制臂", "EPS 支架",
          "高压连接器", "充电口盖板", "B 柱加强板", "减震器塔座", "冷却水管总成", "车门铰链")
_PACKS = ("蓝色 EU 周转箱", "可折叠 KLT 箱", "防静电吸塑盘", "铁质料架", "木托盘加缠绕膜")
_REQUIREMENTS = (  # (category, text with {a} {b} {c})
    ("产品", "PPAP 提交等级为 {a} 级，全尺寸报告须覆盖 {b} 个样件，并附材质证明"),
    ("产品", "关键特性（KPC）须标注 ◆，过程能力 Cpk ≥ {c}，每月提交 SPC 控制图"),
    ("产品", "外观按客户外观标准判定，A 区不允许任何划伤、凹坑和色差"),
    ("产品", "首批样件须附第三方检测报告，盐雾试验不少于 {b}0 小时无红锈"),
    ("测量", "检具须经客户认可，每 {a} 个月校准一次，GRR ≤ 10%"),
    ("测量", "年度全尺寸检验及功能试验（型式试验）每年一次，报告随年度审核提交"),
    ("测量", "三坐标测量报告须注明测量温度，偏差超过公差 {b}0% 时通知客户 SQE"),
    ("环保", "产品须符合 RoHS、REACH 及 ELV 要求，每年更新一次 IMDS 材料数据"),
    ("环保", "禁用物质清单按客户 {d} 版执行，新增物质 {a} 个月内完成排查"),
    ("包装", "须使用{p}，每箱不超过 {b} 件，标签符合客户 VDA 4902 格式"),
    ("包装", "包装须防潮、防锈，海运件加干燥剂，外箱标明批次与生产日期"),
    ("追溯", "零件须激光打码，追溯到批次、班次和设备，追溯记录保存 {a}5 年"),
    ("追溯", "关键工序参数须电子化记录，客户索取时 {a} 个工作日内提供"),
    ("交付", "交付准时率不低于 9{a}%，延迟交付须在 24 小时内书面通报客户物流"),
    ("交付", "按客户 EDI 滚动预测备安全库存 {a} 天，紧急订单 48 小时内响应"),
    ("质量体系", "发生质量问题须在 {a} 小时内回复围堵措施，{b} 个工作日内提交 8D 报告"),
    ("质量体系", "设计或过程变更须走客户 PCN 流程，批准后方可切换，并保留变更前后样件"),
    ("质量体系", "每年按 VDA 6.3 进行过程审核，发现项 {b} 天内关闭"),
    ("第三方供应商", "二级供应商须通过 IATF 16949 认证，变更须提前 {a} 个月书面通知客户"),
    ("第三方供应商", "指定材料须从客户认可的供应商名录采购，每批附材质报告"),
    ("售后服务", "售后索赔件须在 {b} 天内完成失效分析并反馈，三包期内费用按协议分摊"),
    ("售后服务", "备件供货期为停产后 {a}0 年，价格另行商定"),
    ("商务", "价格年降 {a}%，付款条件为月结 {b}0 天"),
    ("商务", "模具所有权归客户，须贴资产标牌并每年盘点"),
    ("其他", "员工须接受客户特殊要求培训，培训记录保存 {a} 年"),
)
_SOURCE_DOCS = {"技术协议": "TA", "质量协议": "QA", "环保协议": "EA", "图纸": "DWG", "产品规范": "SPEC",
                "订单合同": "PO", "以往类似产品": "REF", "客户门户": "PORTAL", "其他": "DOC"}
_CLAUSES = ("8.2.3.1", "8.2.3.1.2", "8.3.3.3", "8.3.4.4", "8.4.2.3", "8.4.2.4", "8.5.1.1", "8.5.2.1",
            "8.5.6.1", "8.6.2", "8.7.1.7", "9.1.1.1", "7.1.5.1.1", "10.2.3", "")
_REMARKS = ("已回复客户邮件确认", "待客户确认样件", "8D 报告已提交", "与上一版质量协议合并", "客户审核时已关闭",
            "需采购部确认二级供应商", "等待客户图纸升版", "已纳入控制计划和 PFMEA", "样件已寄出，快递单号见邮件")
_SEPARATORS = ("、", "、", "、", "，", "/")
_STATUS_BY_AGE = (  # (older than days, statuses, weights)
    (180, (DONE, CANCELLED, IN_PROGRESS, UNDER_REVIEW, OPEN), (90, 3, 4, 2, 1)),
    (30, (DONE, CANCELLED, IN_PROGRESS, UNDER_REVIEW, OPEN), (55, 5, 25, 10, 5)),
    (-1, (DONE, IN_PROGRESS, UNDER_REVIEW, OPEN), (10, 35, 30, 25)),
)
_OPEN_STATUSES, _OPEN_WEIGHTS = (IN_PROGRESS, UNDER_REVIEW, OPEN), (35, 30, 25)  # with --open: as recent cases
_CLOSED_STATUSES, _CLOSED_WEIGHTS = (DONE, CANCELLED), (90, 3)
_SLA_DAYS = {"高": 7, "中": 14, "低": 28}  # calendar days, roughly the SLA working days


@dataclass(frozen=True)
class Options:
    """How a register departs from the realistic one (run.py's --open and --no-settings); part of the cache key.

    open_share: the share of cases still open (处理中, 评审中, 待处理), drawn row by row whatever
    their age; None keeps the statuses by age, as a plant that closes its cases has them (about 11% open).
    settings_sheet: False leaves out 设置 (and the dropdowns that read it): the rows then use the
    template's defaults (xlcsr's DEFAULT_SETTINGS: 7 departments, one person each at example.com,
    so remind finds nobody with a real address) and no user word in 处理状态.
    """

    open_share: float | None = None
    settings_sheet: bool = True

    def __post_init__(self) -> None:
        if self.open_share is not None and not 0 <= self.open_share <= 1:
            raise ValueError(f"the open share is between 0 and 1, not {self.open_share}")

    @property
    def key(self) -> str:
        """'' for the realistic register, else '-open1', '-open0.5-nosettings' …"""
        return (f"-open{self.open_share:g}" if self.open_share is not None else "") + (
            "" if self.settings_sheet else "-nosettings")

    def describe(self) -> str:
        """How the table's heading names the register's options ('' for the realistic one)."""
        parts = ([f"`--open {self.open_share:g}`"] if self.open_share is not None else []) + (
            [] if self.settings_sheet else ["`--no-settings` (no 设置)"])
        return ", ".join(parts)


def _received_dates(rng: random.Random, rows: int) -> list[date]:
    """Ten years up to the day before TODAY, sorted, denser in recent years (a growing business)."""
    span = YEARS * 365
    return sorted(TODAY - timedelta(days=span - int(span * rng.random() ** 0.5)) for _ in range(rows))


def _record(rng: random.Random, received: date, s: Settings, staff: dict[str, list[str]],
            open_share: float | None) -> dict[str, object]:
    customer, code, _ = rng.choice(_CUSTOMERS)
    category, template = rng.choice(_REQUIREMENTS)
    source = rng.choice(s.sources[:8])
    priority = rng.choices(("高", "中", "低"), (2, 6, 2))[0]
    due = received + timedelta(days=_SLA_DAYS[priority] + rng.randint(0, 30))
    age = (TODAY - received).days
    if open_share is None:
        statuses, weights = next((st, w) for older, st, w in _STATUS_BY_AGE if age > older)
        status = rng.choices(statuses, weights)[0]
    elif rng.random() < open_share:
        status = rng.choices(_OPEN_STATUSES, _OPEN_WEIGHTS)[0]
    else:
        status = rng.choices(_CLOSED_STATUSES, _CLOSED_WEIGHTS)[0]
    closed = None
    if status == DONE:
        closed = min(received + timedelta(days=rng.randint(2, 75)), TODAY - timedelta(days=1))
    elif status == IN_PROGRESS and rng.random() < 0.1 and _TRACKING_WORD in s.value_map.get("status", {}):
        status = _TRACKING_WORD
    owner_dept = rng.choice([d for d in staff if d != APPROVER])
    owner = rng.choice(staff[owner_dept])
    departments = [owner_dept, *rng.sample([d for d in staff if d not in (owner_dept, APPROVER)],
                                           rng.choices((0, 1, 2), (5, 4, 1))[0])]
    special = rng.random() < 0.05
    if special:
        departments.append(APPROVER)
    return {
        "customer": customer,
        "product": f"{rng.choice(_PARTS)} {code}-{rng.randint(100, 999)}{rng.choice('ABCDE')}",
        "requirement": template.format(a=rng.randint(2, 5), b=rng.randint(3, 30), c=rng.choice((1.33, 1.67, 2.0)),
                                       d=received.year, p=rng.choice(_PACKS)),
        "category": category,
        "source": source,
        "source_ref": f"{code}-{_SOURCE_DOCS[source]}-{received.year}-{rng.randint(1, 120):03d} "
                      f"{rng.choice('ABC')}/{rng.randint(0, 4)}",
        "iatf_clause": rng.choice(_CLAUSES),
        "received": received,
        "priority": priority,
        "due": due,
        "departments": rng.choice(_SEPARATORS).join(departments),
        "owner": owner,
        "status": status,
        "contract_type": list(CONTRACT_TYPES)[1 if special else 0],
        "closed": closed,
        "remarks": rng.choice(_REMARKS) if rng.random() < 0.3 else None,
        "revision": rng.choices((1, 2, 3), (16, 3, 1))[0],
        USER_COLUMN: f"{rng.choice(_CUSTOMERS)[2]} 13{rng.randint(100000000, 999999999)}" if rng.random() < 0.6
        else None,
    }


def _spoil(record: dict[str, object], kind: str, previous_case: str) -> None:
    """Make `record` invalid in one way, the way people get a register wrong."""
    received = record["received"]
    assert isinstance(received, date)
    match kind:
        case "bad_date":
            record["received"] = f"{received.year}/{received.month + 12}/{received.day}"  # 2023/15/4
        case "missing":
            record["customer"] = None
        case "bad_choice":
            record["category"] = "模具"
        case "unknown_department":
            record["departments"] = "研发中心"
        case "unknown_owner":
            record["owner"] = "小王"
        case "date_order":
            record["due"] = received - timedelta(days=10)
        case "closed_without_date":
            record["status"], record["closed"] = DONE, None
        case "duplicate":
            record["case_no"] = previous_case
        case "bad_case_no":
            record["case_no"] = f"CSR{received.year}{str(record['case_no'])[-4:]}"
        case "formula":
            record["requirement"] = "=见技术协议第5条"
        case _:
            raise ValueError(kind)


def records(rows: int, s: Settings, open_share: float | None = None,
            ) -> tuple[list[dict[str, object]], dict[str, int], dict[str, int], list[int]]:
    """The rows (field key → value), invalid counts per kind, the high-water marks, unnumbered indexes."""
    rng = random.Random(SEED)
    staff = {d.name: [p.name for p in s.people if p.department == d.name] for d in s.departments}
    pattern = CasePattern(s.case_pattern)
    seq: dict[int, int] = {}
    out: list[dict[str, object]] = []
    invalid = dict.fromkeys(INVALID_KINDS, 0)
    unnumbered = []
    for i, received in enumerate(_received_dates(rng, rows)):
        record = _record(rng, received, s, staff, open_share)
        if i % UNNUMBERED_EVERY == UNNUMBERED_FROM:
            record["case_no"] = None
            unnumbered.append(i)
        else:
            seq[received.year] = seq.get(received.year, 0) + 1
            record["case_no"] = pattern.format(received.year, seq[received.year])
        if i % INVALID_EVERY == INVALID_FROM:
            kind = INVALID_KINDS[(i // INVALID_EVERY) % len(INVALID_KINDS)]
            _spoil(record, kind, str(out[-1]["case_no"]))
            invalid[kind] += 1
        out.append(record)
    high_water = {pattern.key(year): top for year, top in seq.items()}
    return out, invalid, high_water, unnumbered


# ---------------------------------------------------------------- the workbook


def build(path: Path, rows: int, options: Options = Options()) -> dict[str, object]:
    """Write the register to `path`; return what the runner needs to know about it (see module doc)."""
    s = settings() if options.settings_sheet else DEFAULT_SETTINGS
    data, invalid, high_water, unnumbered = records(rows, s, options.open_share)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    wb.set_properties({"title": "顾客特殊要求清单", "author": "王芳", "company": "csrplant",
                       "created": datetime(2026, 11, 25, 8, 30)})  # fixed: the same bytes on every build
    fmt = _formats(wb)
    register = wb.add_worksheet(REGISTER_SHEET)
    _register_sheet(register, data, fmt, dropdowns_from_settings=options.settings_sheet)
    if options.settings_sheet:
        _settings_sheet(wb.add_worksheet(SETTINGS_SHEET), s, fmt)
    log = wb.add_worksheet(CHANGELOG_SHEET)
    for c, (zh, _) in enumerate(CHANGELOG_HEADERS):
        log.write_string(0, c, zh, fmt["header"])
    log.freeze_panes(1, 0)
    _user_sheet(wb, wb.add_worksheet(USER_SHEET), data, fmt)
    state = wb.add_worksheet(STATE_SHEET)
    for r, values in enumerate(state_rows({"high_water": high_water})):
        state.write_row(r, 0, values)
    state.very_hidden()
    for name in LIST_NAMES if options.settings_sheet else ():
        wb.define_name(name, "=" + list_range(name))
    register.activate()
    wb.close()
    still_open = [d for d in data if d["status"] not in (DONE, CANCELLED)]
    overdue = sum(1 for d in still_open if isinstance(d["due"], date) and d["due"] < TODAY)
    return {"rows": rows, "header_row": REGISTER_HEADER_ROW, "invalid": invalid, "open": len(still_open),
            "overdue": overdue, "options": options.describe(),
            "unnumbered": _expected_numbers(data, unnumbered, high_water, s), "bytes": path.stat().st_size}


def _expected_numbers(data: list[dict[str, object]], unnumbered: list[int], high_water: dict[str, int],
                      s: Settings) -> list[list[str]]:
    """[cell, number] for each row assign numbers, in row order, as `plan_assignment` numbers them."""
    pattern = CasePattern(s.case_pattern)
    top = dict(high_water)
    letter = column_letter(COL["case_no"])
    cells = []
    for i in unnumbered:
        received = data[i]["received"]
        assert isinstance(received, date)
        key = pattern.key(received.year)
        top[key] = top.get(key, 0) + 1
        cells.append([f"{letter}{REGISTER_HEADER_ROW + 1 + i}", pattern.format(received.year, top[key])])
    return cells


def _formats(wb: xlsxwriter.Workbook) -> dict[str, object]:
    border = {"border": 1, "border_color": "#808080"}
    return {
        "title": wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}),
        "form": wb.add_format({"align": "right"}),
        "header": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "align": "center", "valign": "vcenter",
                                 "text_wrap": True, **border}),
        "required": wb.add_format({"bold": True, "font_color": "#C00000", "bg_color": "#DDEBF7", "align": "center",
                                   "valign": "vcenter", "text_wrap": True, **border}),
        "text": wb.add_format(border),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top", **border}),
        "date": wb.add_format({"num_format": DATE_FORMAT, **border}),
        "int": wb.add_format(border),
        "block": wb.add_format({"bold": True, "bg_color": "#FCE4D6"}),
        "plain_date": wb.add_format({"num_format": DATE_FORMAT}),
        "bold": wb.add_format({"bold": True}),
    }


def _register_sheet(ws, data: list[dict[str, object]], fmt: dict[str, object], *,  # noqa: ANN001
                    dropdowns_from_settings: bool) -> None:
    last_col = len(HEADERS) - 1
    ws.merge_range(0, 0, 0, last_col, "顾客特殊要求清单", fmt["title"])
    ws.merge_range(1, 0, 1, last_col, "表单编号：QR-CSR-01\u3000\u3000版本：A/0", fmt["form"])
    header = REGISTER_HEADER_ROW - 1
    for c, f in enumerate(FIELDS):
        ws.write_string(header, c, f.header, fmt["required"] if f.required else fmt["header"])
    ws.write_string(header, len(FIELDS), USER_COLUMN, fmt["header"])
    ws.set_row(header, 30)
    widths = {"case_no": 16, "customer": 26, "product": 22, "requirement": 48, "source_ref": 22,
              "departments": 20, "remarks": 28}
    for c, f in enumerate(FIELDS):
        ws.set_column(c, c, widths.get(f.key, 11))
    ws.set_column(len(FIELDS), len(FIELDS), 20)
    keys = [f.key for f in FIELDS] + [USER_COLUMN]
    wrap = {"requirement", "remarks", "departments", "source_ref"}
    for i, record in enumerate(data):
        r = header + 1 + i
        for c, key in enumerate(keys):
            value = record.get(key)
            if value is None:
                ws.write_blank(r, c, None, fmt["date"] if key in ("received", "due", "closed") else fmt["text"])
            elif isinstance(value, date):
                ws.write_datetime(r, c, value, fmt["date"])
            elif isinstance(value, int):
                ws.write_number(r, c, value, fmt["int"])
            else:
                ws.write_string(r, c, str(value), fmt["wrap"] if key in wrap else fmt["text"])
    last = header + max(len(data), 1)
    ws.autofilter(header, 0, last, last_col)
    ws.freeze_panes(header + 1, 1)
    lists = {"category": "=xlcsr_类别", "source": "=xlcsr_来源", "priority": "=xlcsr_优先级", "owner": "=xlcsr_人员",
             "status": list(STATUSES), "contract_type": list(CONTRACT_TYPES)}
    if not dropdowns_from_settings:  # the defined names point into 设置
        lists = {key: source for key, source in lists.items() if isinstance(source, list)}
    for key, source in lists.items():
        ws.data_validation(header + 1, COL[key], last, COL[key], {
            "validate": "list", "source": source, "error_message": "不在允许的列表中（列表见「设置」表）",
            "input_message": "请从下拉列表中选择"})
    if dropdowns_from_settings:
        ws.data_validation(header + 1, COL["departments"], last, COL["departments"], {
            "validate": "list", "source": "=xlcsr_部门", "error_type": "information",
            "input_message": "可从列表选一个部门；多个部门请直接输入，用、分隔"})
    ws.set_landscape()
    ws.repeat_rows(0, header)


def _settings_sheet(ws, s: Settings, fmt: dict[str, object]) -> None:  # noqa: ANN001
    """The 设置 blocks side by side at the template's columns, as xlcsr.files.settings_writer lays them out."""
    ws.write_string(0, 0, "设置（可增删行、整块移动；请勿改动【块标题】和列标题的文字）", fmt["bold"])
    for block in BLOCKS:
        first = BLOCK_COLUMNS[block.key] - 1
        ws.write_string(TITLE_ROW - 1, first, block.title("zh"), fmt["block"])
        for offset, col in enumerate(block.columns):
            ws.write_string(HEADER_ROW - 1, first + offset, col.zh, fmt["header"])
            ws.set_column(first + offset, first + offset, 14)
        for r, values in enumerate(block_rows(block.key, s), start=FIRST_DATA_ROW - 1):
            for offset, value in enumerate(values):
                if isinstance(value, date):
                    ws.write_datetime(r, first + offset, value, fmt["plain_date"])
                elif isinstance(value, int):
                    ws.write_number(r, first + offset, value)
                elif value:
                    ws.write_string(r, first + offset, str(value))
    ws.freeze_panes(FIRST_DATA_ROW - 1, 0)


def _user_sheet(wb, ws, data: list[dict[str, object]], fmt: dict[str, object]) -> None:  # noqa: ANN001
    """A sheet of the user's own: customer contacts, counts by formula over 清单, and a chart of them."""
    headers = ("客户名称", "客户代码", "对接人", "电话", "案件数", "未完成")
    for c, text in enumerate(headers):
        ws.write_string(0, c, text, fmt["header"])
    rng = random.Random(SEED + 1)
    done = {DONE, CANCELLED}
    for r, (name, code, contact) in enumerate(_CUSTOMERS, start=1):
        count = sum(1 for d in data if d["customer"] == name)
        still_open = sum(1 for d in data if d["customer"] == name and d["status"] not in done)
        ws.write_string(r, 0, name, fmt["text"])
        ws.write_string(r, 1, code, fmt["text"])
        ws.write_string(r, 2, contact, fmt["text"])
        ws.write_string(r, 3, f"0{rng.randint(10, 99)}-{rng.randint(10000000, 99999999)}", fmt["text"])
        ws.write_formula(r, 4, f"=COUNTIF({REGISTER_SHEET}!B:B,A{r + 1})", fmt["int"], count)
        ws.write_formula(r, 5, f'=E{r + 1}-COUNTIFS({REGISTER_SHEET}!B:B,A{r + 1},{REGISTER_SHEET}!N:N,"{DONE}")'
                               f'-COUNTIFS({REGISTER_SHEET}!B:B,A{r + 1},{REGISTER_SHEET}!N:N,"{CANCELLED}")',
                         fmt["int"], still_open)
    ws.set_column(0, 0, 30)
    ws.set_column(1, 5, 12)
    chart = wb.add_chart({"type": "column"})
    last = len(_CUSTOMERS)
    chart.add_series({"name": "未完成", "categories": [USER_SHEET, 1, 1, last, 1],
                      "values": [USER_SHEET, 1, 5, last, 5]})
    chart.set_title({"name": "各客户未完成的特殊要求"})
    chart.set_legend({"none": True})
    ws.insert_chart(1, 7, chart)


# ---------------------------------------------------------------- the cache


def cached(rows: int, options: Options = Options(), folder: Path = CACHE_DIR) -> tuple[Path, dict[str, object]]:
    """The register of `rows` rows, built once per size, options and builder version in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"register-{rows}{options.key}"
    path = folder / f"{name}-v{VERSION}.xlsx"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return path, json.loads(meta.read_text("utf-8"))
    for stale in folder.glob(f"{name}-v*"):  # an older builder's (the same size and options)
        stale.unlink()
    partial = path.with_name(f".{path.name}")
    info = build(partial, rows, options)
    meta.write_text(json.dumps(info, ensure_ascii=False), "utf-8")
    partial.replace(path)
    return path, info

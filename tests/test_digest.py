"""The digest people read: full requirements, days left, a legend, a link to the register, at most N
cases a section, the same content as plain text — and, laid out by headless Chromium at 375 px and
900 px, no case number, date, day count or status wrapped."""

from __future__ import annotations

import html as htmllib
import json
import os
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from books import REAL_DOMAIN, needs

from xlcsr.mail.rendering import Renderer
from xlcsr.rules.reminders import CaseLine, Digest, Recipient, RegisterSource

TODAY = date(2026, 11, 25)
LONG_REQUIREMENT = ("PPAP 第3级提交：全尺寸检测报告、材料试验报告（含盐雾 480 h）、过程能力研究 Cpk≥1.67、"
                    "控制计划与 PFMEA 同步更新；包装按顾客包装规范 QP-07 第4版执行，\n每批附 COC 与追溯二维码。"
                    "Supplier must notify SQE 20 working days before any change of sub-supplier.")
CUSTOMER = "上汽通用五菱汽车股份有限公司柳州宝骏基地采购中心零部件质量部"


def line(n: int, **changes: object) -> CaseLine:
    base = dict(register="一厂清单.xlsx", row=n + 4, case_no=f"CSR-2026-{n:04d}", customer=CUSTOMER,
                product="前保险杠总成 BJ-530", requirement=LONG_REQUIREMENT, due=TODAY - timedelta(days=n),
                overdue_days=n, status="处理中", departments=("技术部", "品质部"), owner="张伟",
                escalated=n > 5)
    return CaseLine(**{**base, **changes})  # type: ignore[arg-type]


def digest(**changes: object) -> Digest:
    base = dict(
        recipient=Recipient("张伟", f"zhang.wei@{REAL_DOMAIN}"), today=TODAY,
        overdue=tuple(line(n) for n in (11, 3)),
        due_soon=(line(20, due=TODAY, overdue_days=0, days_left=0, status="待处理"),
                  line(21, due=TODAY + timedelta(days=2), overdue_days=0, days_left=2, status="评审中",
                       case_no="")),
        waiting=(line(30, overdue_days=0, waiting_on=("品质部", "生产部"), status="评审中"),),
        escalations=(line(12, owner="李强"),),
        sources=(RegisterSource("一厂清单.xlsx", "/srv/质量/一厂/一厂清单.xlsx"),))
    return Digest(**{**base, **changes})  # type: ignore[arg-type]


# --- what the mail says -----------------------------------------------------------------------------


def test_the_requirement_is_given_in_full_and_due_soon_shows_the_working_days_left() -> None:
    mail = Renderer().render(digest())
    for part in (mail.text, htmllib.unescape(re.sub(r"<[^>]+>", "", mail.html))):
        assert "Supplier must notify SQE 20 working days before any change of sub-supplier." in part
        assert "…" not in part
        assert "今天到期" in part and "剩余 2 个工作日" in part
        assert "待会签：品质部、生产部" in part
        assert "第 25 行（未编号）" in part  # the case without a number is named by its row
    assert "每批附 COC" in mail.text.split("控制计划与 PFMEA", 1)[1]  # the text's own line break is kept


def test_one_line_legend_folder_and_a_file_link_to_the_register() -> None:
    mail = Renderer().render(digest())
    [legend] = re.findall(r'<p class="legend"[^>]*>.*?</p>', mail.html)
    assert "\n" not in legend and "已逾期" in legend and "即将到期" in legend and "待会签" in legend
    assert "⚑ 逾期超过 5 个工作日，已报告部门经理" in legend
    uri = Path("/srv/质量/一厂/一厂清单.xlsx").as_uri()
    assert f'<a href="{uri}">打开清单</a>' in mail.html and "文件夹 /srv/质量/一厂" in mail.html
    assert f"文件夹 /srv/质量/一厂｜{uri}" in mail.text
    assert "图例：⚑ = 逾期超过 5 个工作日，已报告部门经理" in mail.text


def test_windows_and_unsaved_registers() -> None:
    assert RegisterSource("r.xlsx", r"\\fs01\质量部\r.xlsx").uri == "file://fs01/%E8%B4%A8%E9%87%8F%E9%83%A8/r.xlsx"
    assert RegisterSource("r.xlsx", r"D:\CSR\r.xlsx").folder == "D:\\CSR"
    unsaved = RegisterSource("工作簿1", "")
    assert (unsaved.name, unsaved.folder, unsaved.uri) == ("工作簿1", "", "")
    mail = Renderer().render(digest(sources=(unsaved,)))
    assert "工作簿1" in mail.html and "打开清单" not in mail.html


def test_the_manager_summary_says_who_what_and_how_late() -> None:
    mail = Renderer().render(digest(overdue=(), due_soon=(), waiting=()))
    assert mail.subject == "【顾客特殊要求】张伟：1 项本部门案件已升级"
    assert "【本部门逾期超过 5 个工作日的案件】1 项" in mail.text
    assert "CSR-2026-0012｜截止 2026-11-13｜逾期 12 个工作日" in mail.text and "负责人 李强" in mail.text
    assert "本部门逾期超过 5 个工作日的案件（1 项）" in mail.html


def test_at_most_the_limit_per_section_and_a_20000_case_digest_stays_small() -> None:
    many = tuple(line(n, overdue_days=n, case_no=f"CSR-2020-{n:05d}") for n in range(1, 20_001))
    mail = Renderer().render(digest(overdue=many, limit=50))
    assert mail.html.count('<div class="case"') == 50 + 2 + 1 + 1  # the overdue limit, then the other sections
    assert "另有 19950 项未列出，请在清单中查看" in mail.html and "另有 19950 项未列出，请在清单中查看" in mail.text
    assert "已逾期（20000 项）" in mail.html and "【已逾期】20000 项" in mail.text
    assert "CSR-2020-00050" in mail.text and "CSR-2020-00051" not in mail.text
    assert len(mail.html.encode()) < 200_000 and len(mail.text.encode()) < 100_000


def test_plain_text_has_the_same_cases_and_facts_as_the_html() -> None:
    mail = Renderer().render(digest())
    shown = htmllib.unescape(re.sub(r"<[^>]+>", " ", mail.html))
    facts = set(re.findall(r"CSR-\d{4}-\d{4}|\d{4}-\d{2}-\d{2}|逾期 \d+ 个工作日|剩余 \d+ 个工作日|第 \d+ 行", shown))
    assert facts and all(fact in mail.text for fact in facts)


# --- laid out by a real browser ---------------------------------------------------------------------


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")

MEASURE = """
<script>
const frame = document.getElementById("mail");
frame.addEventListener("load", () => {
  const doc = frame.contentDocument;
  const cells = [...doc.querySelectorAll(".nowrap")].map(e => {
    const lh = parseFloat(doc.defaultView.getComputedStyle(e).lineHeight);
    return {text: e.textContent, lines: e.getClientRects().length, height: e.getBoundingClientRect().height, lh};
  });
  const report = {width: doc.documentElement.clientWidth, scroll: doc.documentElement.scrollWidth,
                  requirement: [...doc.querySelectorAll(".case")].map(c => c.innerText).join("\\n"), cells};
  document.getElementById("report").textContent = JSON.stringify(report);
});
</script>
"""


def layout(mail_html: str, width: int, tmp_path: Path) -> dict:
    """The digest laid out by headless Chromium in a `width`-px viewport (an iframe: headless windows
    cannot be narrower than 500 px), measured by a script that writes what it saw into the DOM."""
    page = tmp_path / f"at-{width}.html"
    page.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">'
                    f'<iframe id="mail" style="width:{width}px;height:2000px;border:0" '
                    f'srcdoc="{htmllib.escape(mail_html, quote=True)}"></iframe>'
                    f'<pre id="report"></pre>{MEASURE}</body></html>', encoding="utf-8")
    out = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                          "--disable-background-networking", "--no-first-run", "--hide-scrollbars",
                          f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,2200",
                          "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    found = re.search(r'<pre id="report">(.*?)</pre>', out, re.S)
    assert found and found.group(1), out[-2000:]
    return json.loads(htmllib.unescape(found.group(1)))


@pytest.mark.parametrize("width", [375, 900])
def test_no_case_number_date_or_status_wraps_in_a_browser(width: int, tmp_path: Path) -> None:
    needs(CHROMIUM is not None, "Chromium (headless)")
    mail = Renderer().render(digest())
    report = layout(mail.html, width, tmp_path)
    assert report["width"] == width
    assert report["scroll"] <= report["width"], "the mail is wider than the screen"
    texts = [c["text"] for c in report["cells"]]
    assert {"CSR-2026-0011", "截止 2026-11-14", "逾期 11 个工作日", "处理中", "剩余 2 个工作日", "今天到期",
            "⚑ 已升级"} <= set(texts)
    wrapped = [c for c in report["cells"] if c["lines"] != 1 or c["height"] > 1.5 * c["lh"]]
    assert wrapped == []
    assert "Supplier must notify SQE 20 working days before any change of sub-supplier." in report["requirement"]
    if os.environ.get("XLCSR_SCREENSHOTS"):  # for a person to look at: the closing note describes them
        folder = Path(os.environ["XLCSR_SCREENSHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"digest-{width}.html").write_text(mail.html, encoding="utf-8")
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--user-data-dir={tmp_path / 'shots'}", f"--window-size={max(width, 500)},2000",
                        f"--screenshot={folder / f'digest-{width}.png'}", (tmp_path / f"at-{width}.html").as_uri()],
                       capture_output=True, timeout=120, check=True)

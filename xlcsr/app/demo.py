"""A realistic demo register: about forty CSRs from six customers, a few of them deliberately wrong.

    >>> rows = demo_rows(date(2026, 11, 25))
    >>> len(rows), len({r["customer"] for r in rows if r["customer"]})
    (42, 6)
"""

from __future__ import annotations

from datetime import date, timedelta

from xlcsr.domain.vocab import DONE, IN_PROGRESS, OPEN, UNDER_REVIEW

# (customer, product, category, source, source document, IATF clause, requirement, departments, owner)
_CSRS = (
    ("比亚迪汽车", "BYD-EV-0231 线束总成", "环保", "环保协议", "BYD-HS-2024 A版", "8.4.2.2",
     "产品及包装材料须满足 RoHS 2.0 与 REACH SVHC（最新 235 项）要求，每年提供第三方检测报告",
     "品质部、采购部", "张伟"),
    ("比亚迪汽车", "BYD-EV-0231 线束总成", "产品", "质量协议", "BYD-SQA-2025 第3版", "8.3.4.4",
     "新产品按 PPAP 第3级提交，含全尺寸报告、材料试验、CPK≥1.67 的初始过程研究", "技术部、品质部", "李强"),
    ("比亚迪汽车", "BYD-EV-0231 线束总成", "追溯", "质量协议", "BYD-SQA-2025 第3版", "8.5.2.1",
     "每个零件激光刻印二维码，可追溯到生产日期、班次、线体和原材料批次，记录保存15年", "生产部、技术部", "刘洋"),
    ("比亚迪汽车", "BYD-EV-0455 控制器", "质量体系", "质量协议", "BYD-SQA-2025 第3版", "10.2.3",
     "客户投诉 24 小时内提交围堵措施，10 个工作日内提交 8D 报告", "品质部", "张伟"),
    ("比亚迪汽车", "BYD-EV-0455 控制器", "交付", "订单合同", "PO-2026-0881", "8.5.4",
     "按 JIT 每日两次送货，准时交付率≥98%，延误须提前 48 小时书面通知", "生产部、市场部", "刘洋"),
    ("比亚迪汽车", "BYD-EV-0455 控制器", "包装", "技术协议", "BYD-PK-07 B版", "8.5.4",
     "使用客户周转箱，每箱 20 件，标签符合 BYD 条码规范（含批次号与数量）", "生产部", "刘洋"),
    ("吉利汽车", "GL-SX11 传感器支架", "产品", "图纸", "GL-SX11-DWG-003 C版", "8.3.3.3",
     "图纸标注的 CC 特性（孔位度）须 100% 检验，SC 特性 CPK≥1.33 并纳入控制计划", "技术部、品质部", "李强"),
    ("吉利汽车", "GL-SX11 传感器支架", "测量", "质量协议", "GL-SQM-2026", "7.1.5.1.1",
     "控制计划中所有量具完成 MSA：GR&R≤10% 可接受，10%–30% 须客户批准", "品质部", "张伟"),
    ("吉利汽车", "GL-SX11 传感器支架", "第三方供应商", "质量协议", "GL-SQM-2026", "8.4.1.2",
     "二级供应商须通过 IATF 16949 认证，热处理、电镀等特殊过程按 CQI-9/CQI-11 每年评审", "采购部、品质部", "陈静"),
    ("吉利汽车", "GL-SX11 传感器支架", "环保", "环保协议", "GL-ENV-05", "8.4.2.2",
     "禁用物质按 GL-ENV-05 清单申报，IMDS 数据在 PPAP 前提交并获批准", "技术部", "李强"),
    ("吉利汽车", "GL-PT20 变速箱壳体", "售后服务", "技术协议", "GL-TA-PT20", "8.7.1.1",
     "售后件供货期为停产后 15 年，价格按量产价冻结 3 年", "市场部、生产部", "王芳"),
    ("吉利汽车", "GL-PT20 变速箱壳体", "商务", "订单合同", "GL-PO-77120", "8.2.3.1",
     "年降 3%，付款方式为月结 90 天承兑", "市场部、财务部", "赵敏"),
    ("长城汽车", "GW-H6 车门密封条", "产品", "产品规范", "GW-QS-1123", "8.6.2",
     "每年进行一次全尺寸检验和功能试验（型式试验），结果提交客户 SQE", "品质部", "张伟"),
    ("长城汽车", "GW-H6 车门密封条", "包装", "技术协议", "GW-PK-2025", "8.5.4",
     "包装须防尘防潮，托盘尺寸 1200×1000，堆码不超过 3 层", "生产部", "刘洋"),
    ("长城汽车", "GW-H6 车门密封条", "质量体系", "质量协议", "GW-SQA-09", "8.3.6",
     "任何设计、材料、工艺或产地变更须提前 90 天书面申请，获批后方可实施", "技术部、品质部", "李强"),
    ("长城汽车", "GW-H6 车门密封条", "追溯", "质量协议", "GW-SQA-09", "8.5.2.1",
     "先进先出，库存超过 6 个月的产品须重新检验后出货", "生产部、品质部", "刘洋"),
    ("长城汽车", "GW-P8 前保险杠支架", "测量", "图纸", "GW-P8-DWG-11 A版", "7.1.5.2.1",
     "检具须经客户认可，每半年校准一次，校准机构须具备 ISO/IEC 17025 资质", "品质部", "张伟"),
    ("长城汽车", "GW-P8 前保险杠支架", "交付", "订单合同", "GW-PO-3389", "8.5.4",
     "紧急订单 72 小时内交付，超额运费由责任方承担", "生产部、市场部", "王芳"),
    ("上汽大众", "SVW-3QF 电子水泵", "质量体系", "质量协议", "VW Formel Q 第8版", "4.3.2",
     "执行大众 Formel Q 能力（VDA 6.3 过程审核≥90 分为 A 级）与 Formel Q 新零件要求", "品质部", "张伟"),
    ("上汽大众", "SVW-3QF 电子水泵", "产品", "产品规范", "VW 80000 2021版", "8.3.4.4",
     "电子部件按 VW 80000 进行环境试验，样件须通过 2TP 验证", "技术部", "李强"),
    ("上汽大众", "SVW-3QF 电子水泵", "追溯", "质量协议", "VW 01064", "8.5.2.1",
     "按 VW 01064 进行零件标识，安全件（D/TLD 件）档案保存 15 年", "技术部、品质部", "李强"),
    ("上汽大众", "SVW-3QF 电子水泵", "环保", "环保协议", "VW 91101", "8.4.2.2",
     "满足 VW 91101 环境标准，车内零件 VOC 释放按 PV 3938 检测", "品质部、技术部", "张伟"),
    ("上汽大众", "SVW-3QF 电子水泵", "第三方供应商", "质量协议", "VW Formel Q 第8版", "8.4.2.3",
     "关键二级供应商名单报客户备案，变更须经客户批准", "采购部", "陈静"),
    ("上汽大众", "SVW-5GG 油泵支架", "包装", "技术协议", "VDA 4902", "8.5.4",
     "外包装标签按 VDA 4902 KLT 标签格式，使用客户 KLT 箱", "生产部", "刘洋"),
    ("上汽大众", "SVW-5GG 油泵支架", "交付", "客户门户", "SVW 供应商门户通知 2026-18", "8.5.4",
     "发货前 4 小时在客户门户发送 ASN 提前发货通知", "市场部", "王芳"),
    ("一汽解放", "FAW-J7 气压传感器", "产品", "技术协议", "FAW-TA-J7-01", "8.3.3.1",
     "产品须满足 -40℃~125℃ 工作温度，防护等级 IP6K9K", "技术部", "李强"),
    ("一汽解放", "FAW-J7 气压传感器", "测量", "质量协议", "FAW-SQ-2026", "7.1.5.1.1",
     "终检设备须每班点检，点检记录保存 3 年", "品质部、生产部", "张伟"),
    ("一汽解放", "FAW-J7 气压传感器", "质量体系", "质量协议", "FAW-SQ-2026", "9.2.2.3",
     "每年进行一次产品审核，结果报客户质量部", "品质部", "张伟"),
    ("一汽解放", "FAW-J7 气压传感器", "售后服务", "质量协议", "FAW-SQ-2026", "10.2.5",
     "保修期 3 年或 30 万公里，索赔件 30 天内完成分析并反馈", "品质部、市场部", "王芳"),
    ("一汽解放", "FAW-J6 尿素泵", "环保", "环保协议", "FAW-ENV-2025", "8.4.2.2",
     "禁用石棉、六价铬，每批提供材质证明", "采购部、品质部", "陈静"),
    ("一汽解放", "FAW-J6 尿素泵", "商务", "订单合同", "FAW-PO-55301", "8.2.3.1",
     "质保金为合同金额的 5%，保修期满后无息退还", "财务部", "赵敏"),
    ("蔚来汽车", "NIO-ET5 电池包支架", "产品", "图纸", "NIO-ET5-BP-DWG 第2版", "8.3.3.3",
     "焊缝为特殊特性（SC），每班首件做破坏性试验并留存照片", "技术部、生产部", "李强"),
    ("蔚来汽车", "NIO-ET5 电池包支架", "测量", "质量协议", "NIO-SQM-3.1", "7.1.5.1.1",
     "三坐标测量程序须经客户确认，测量数据每周上传客户质量平台", "品质部", "张伟"),
    ("蔚来汽车", "NIO-ET5 电池包支架", "追溯", "客户门户", "NIO 供应商平台", "8.5.2.1",
     "批次信息与出货数据实时上传客户追溯系统", "生产部", "刘洋"),
    ("蔚来汽车", "NIO-ET5 电池包支架", "质量体系", "质量协议", "NIO-SQM-3.1", "8.7.1.4",
     "不合格品须在 2 小时内通知客户，可疑产品 100% 隔离", "品质部", "张伟"),
    ("蔚来汽车", "NIO-ES8 电机壳体", "第三方供应商", "质量协议", "NIO-SQM-3.1", "8.4.2.4",
     "铝锭供应商须按客户指定名单采购（指定供应商）", "采购部", "陈静"),
)

# A few rows the way real registers go wrong; validate finds each.
_WRONG = (
    {"customer": "", "requirement": "样件须附材质报告与尺寸报告", "received": "2026-11-02"},
    {"customer": "蔚来汽车", "requirement": "出货检验报告随货发送", "received": "2026/13/05"},
    {"customer": "吉利汽车", "requirement": "功能安全按 ISO 26262 ASIL-B 开发", "category": "功能安全",
     "departments": "研发部"},
    {"customer": "长城汽车", "requirement": '=HYPERLINK("http://portal.example.com","门户要求")',
     "status": DONE},
    {"customer": "上汽大众", "requirement": "年度 VDA 6.3 复审", "due_before_received": True},
    {"customer": "比亚迪汽车", "requirement": "包装标签增加 BYD 物料编码", "owner": "孙悟空",
     "duplicate_of": 0},
)


def demo_rows(today: date) -> list[dict[str, object]]:
    """Forty-two register rows received in the weeks before `today`; the last six are wrong."""
    rows: list[dict[str, object]] = []
    statuses = (DONE, IN_PROGRESS, UNDER_REVIEW, OPEN, IN_PROGRESS, OPEN)
    priorities = ("高", "中", "中", "低", "中", "高", "中")
    for index, (customer, product, category, source, ref, clause, text, depts, owner) in enumerate(_CSRS):
        received = today - timedelta(days=75 - 2 * index)
        status = statuses[index % len(statuses)]
        row: dict[str, object] = {
            "customer": customer, "product": product, "requirement": text, "category": category,
            "source": source, "source_ref": ref, "iatf_clause": clause, "received": received,
            "priority": priorities[index % len(priorities)], "departments": depts, "owner": owner,
            "status": status, "contract_type": "特殊" if category == "商务" else "常规",
        }
        if index < 12:
            row["case_no"] = f"CSR-{received.year}-{index + 1:04d}"
        if status == DONE:
            row["closed"] = received + timedelta(days=9)
        if index % 5 == 0 and status != DONE:
            row["due"] = received + timedelta(days=21)
        rows.append(row)
    for index, wrong in enumerate(_WRONG):
        row = {"received": today - timedelta(days=6 - index), "priority": "中", "departments": "品质部",
               **{k: v for k, v in wrong.items() if k not in ("due_before_received", "duplicate_of")}}
        if wrong.get("due_before_received"):
            row["due"] = row["received"] - timedelta(days=3)  # type: ignore[operator]
        if "duplicate_of" in wrong:
            row["case_no"] = rows[wrong["duplicate_of"]]["case_no"]  # type: ignore[index]
        rows.append(row)
    return rows

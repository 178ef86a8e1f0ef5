"""The replay report as an Excel workbook (one sheet per part), for meetings and archives."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from typing import Any

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from livebridge.kit.time import to_display
from livebridge.replay.analysis import ASPECT_NAMES
from livebridge.replay.schemas import ReplayReport

SIMULATED_NOTE = "模拟数据（演示用，非真实直播）"


def _yuan(fen: int) -> float:
    """Excel cells show yuan; the figure is exact because fen ÷ 100 has at most two decimals."""
    return fen / 100


def _sheet(workbook: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> Worksheet:
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for column, name in zip(sheet.columns, header, strict=False):
        sheet.column_dimensions[column[0].column_letter].width = max(10, min(60, len(name) * 2 + 4))
    return sheet


def replay_workbook(report: ReplayReport, zone: str) -> bytes:
    """The report in ``zone``'s local time (the display time zone of the console)."""

    def _local(moment: datetime | None) -> str:
        return to_display(moment, zone).strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""

    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = "概览"
    totals = report.totals
    lines: list[tuple[str, Any]] = [
        ("直播", report.title),
        ("平台", report.platform),
        ("主播", "、".join(report.hosts)),
        ("开播", _local(report.started_at)),
        ("下播", _local(report.ended_at)),
        ("时长（分钟）", round(report.duration_seconds / 60, 1)),
        ("进房次数", totals.enters),
        ("观看人数", totals.unique_viewers),
        ("在线峰值", totals.online_peak),
        ("平均在线", totals.online_average),
        ("平均观看时长（秒）", totals.average_watch_seconds),
        ("评论", totals.comments),
        ("支付订单", totals.paid_orders),
        ("支付金额（元）", _yuan(totals.paid_fen)),
        ("退款金额（元）", _yuan(totals.refund_fen)),
        ("GPM（元）", _yuan(totals.gpm_fen) if totals.gpm_fen is not None else None),
    ]
    if report.is_simulated:
        lines.insert(0, ("数据", SIMULATED_NOTE))
    for label, value in lines:
        summary.append([label, value])
    summary.column_dimensions["A"].width = 22
    summary.column_dimensions["B"].width = 40
    summary.append([])
    summary.append(["建议"])
    summary.cell(row=summary.max_row, column=1).font = Font(bold=True)
    for advice in report.advice:
        summary.append([{"warning": "需改进", "info": "提示", "good": "做得好"}[advice.severity], advice.text])

    _sheet(
        workbook,
        "每分钟",
        ["时间", "在线", "进房", "离开", "评论", "点击", "加购", "下单", "支付订单", "支付金额（元）", "退款"],
        [
            [
                _local(m.minute),
                m.online,
                m.enters,
                m.leaves,
                m.comments,
                m.clicks,
                m.cart_adds,
                m.orders,
                m.paid_orders,
                _yuan(m.paid_fen),
                m.refunds,
            ]
            for m in report.minutes
        ],
    )
    _sheet(
        workbook,
        "讲解时段",
        [
            "商品",
            "开始",
            "结束",
            "时长（秒）",
            "开始在线",
            "结束在线",
            "在线变化",
            "评论",
            "支付订单",
            "支付金额（元）",
        ],
        [
            [
                s.product_name,
                _local(s.started_at),
                _local(s.ended_at),
                s.seconds,
                s.online_start,
                s.online_end,
                s.online_change,
                s.comments,
                s.paid_orders,
                _yuan(s.paid_fen),
            ]
            for s in report.segments
        ],
    )
    _sheet(
        workbook,
        "流失时刻",
        ["时间", "之前在线", "之后在线", "流失人数", "流失比例", "离开事件", "正在讲解", "偏离程度 (z)"],
        [
            [
                _local(d.minute),
                d.online_before,
                d.online_after,
                d.lost,
                d.drop_share,
                d.leaves,
                d.product_on_screen,
                d.z_score,
            ]
            for d in report.drop_offs
        ],
    )
    _sheet(
        workbook,
        "漏斗对比",
        ["环节", "人数", "本场转化", "主播以往", "主播场次", "本店以往", "本店场次"],
        [
            [f.label, f.viewers, f.rate, f.host_rate, f.host_sessions, f.shop_rate, f.shop_sessions]
            for f in report.funnel
        ],
    )
    _sheet(
        workbook,
        "商品",
        [
            "商品",
            "编码",
            "讲解（秒）",
            "点击",
            "加购",
            "下单",
            "支付订单",
            "件数",
            "支付金额（元）",
            "退款",
            "退款金额（元）",
            "点击→支付",
        ],
        [
            [
                p.product_name,
                " ".join(p.references),
                p.explained_seconds,
                p.clicks,
                p.cart_adds,
                p.orders,
                p.paid_orders,
                p.paid_units,
                _yuan(p.paid_fen),
                p.refunds,
                _yuan(p.refund_fen),
                p.conversion,
            ]
            for p in report.products
        ],
    )
    _sheet(
        workbook,
        "评论",
        ["类别", "方面", "条数"],
        [
            *[["未回复提问", ASPECT_NAMES.get(a.aspect, a.aspect), a.count] for a in report.unanswered_questions],
            *[["投诉/负面", ASPECT_NAMES.get(a.aspect, a.aspect), a.count] for a in report.complaints],
        ],
    )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def replay_download(report: ReplayReport, zone: str) -> Response:
    """The workbook as a download named after the session."""
    return Response(
        replay_workbook(report, zone),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="replay-{report.session_id}.xlsx"'},
    )

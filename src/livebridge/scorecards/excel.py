"""The scorecard export: an .xlsx workbook (openpyxl) with the ranking, host × brand rows and weights.

Money is written as yuan numbers with two decimals and rates as percentages, so the sheet can be
sorted and summed; a figure that is not available is the text 暂无, never 0.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from livebridge.scorecards.metrics import RANKING_METRICS
from livebridge.scorecards.schemas import HostScorecard, Period, RankedScorecard, RankingWeights, RepurchaseRate

NOT_AVAILABLE: Final = "暂无"
Kind = Literal["text", "int", "float", "money", "rate"]
FORMATS: Final[dict[Kind, str]] = {"int": "#,##0", "float": "#,##0.0", "money": "#,##0.00", "rate": "0.00%"}


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[HostScorecard], Any]
    kind: Kind = "int"


def _rate(rate: RepurchaseRate | None) -> int | None:
    return rate.rate_bp if rate else None


def _cohort(rate: RepurchaseRate | None) -> str | None:
    return f"{rate.repeat_buyers}/{rate.cohort}" if rate else None


FIGURES: Final[tuple[Column, ...]] = (
    Column("场次 Sessions", lambda c: c.sessions),
    Column("直播时长(小时) Hours live", lambda c: c.hours_live, "float"),
    Column("观看次数 Views", lambda c: c.views),
    Column("观众 Viewers", lambda c: c.viewers),
    Column("核验观众 Verified viewers", lambda c: c.verified_viewers),
    Column("峰值在线 Peak viewers", lambda c: c.peak_viewers),
    Column("核验峰值 Verified peak", lambda c: c.verified_peak_viewers),
    Column("平均在线 Average viewers", lambda c: c.average_viewers, "float"),
    Column("核验平均在线 Verified average", lambda c: c.verified_average_viewers, "float"),
    Column("订单 Orders", lambda c: c.orders),
    Column("买家 Buyers", lambda c: c.buyers),
    Column("成交额(元) GMV", lambda c: c.gmv_fen, "money"),
    Column("退款订单 Refunded orders", lambda c: c.refunded_orders),
    Column("退款额(元) Refunds", lambda c: c.refund_fen, "money"),
    Column("净成交额(元) Net GMV", lambda c: c.net_gmv_fen, "money"),
    Column("核验净成交额(元) Verified net GMV", lambda c: c.verified_net_gmv_fen, "money"),
    Column("转化率 Conversion", lambda c: c.conversion_bp, "rate"),
    Column("核验转化率 Verified conversion", lambda c: c.verified_conversion_bp, "rate"),
    Column("客单价(元) AOV", lambda c: c.aov_fen, "money"),
    Column("GPM(元)", lambda c: c.gpm_fen, "money"),
    Column("退款率 Refund rate", lambda c: c.refund_rate_bp, "rate"),
    Column("退款金额率 Refunded share of GMV", lambda c: c.refund_amount_rate_bp, "rate"),
    Column("30天复购率 Repurchase 30d", lambda c: _rate(c.repurchase_30d), "rate"),
    Column("30天复购/可观察买家", lambda c: _cohort(c.repurchase_30d), "text"),
    Column("90天复购率 Repurchase 90d", lambda c: _rate(c.repurchase_90d), "rate"),
    Column("90天复购/可观察买家", lambda c: _cohort(c.repurchase_90d), "text"),
    Column("投诉/千单 Complaints per 1,000 orders", lambda c: c.complaints_per_1k_orders, "float"),
    Column("真实性指数 Authenticity", lambda c: c.authenticity_index),
    Column("需求主题 Demand topics", lambda c: c.demand_topics),
    Column("模拟数据 Simulated", lambda c: "是" if c.is_simulated else "否", "text"),
)


def _cell_value(value: Any, kind: Kind) -> Any:
    if value is None:
        return NOT_AVAILABLE
    if kind == "money":
        return Decimal(value) / 100
    if kind == "rate":
        return Decimal(value) / 10_000
    return value


def _write_table(sheet: Worksheet, columns: Sequence[Column], rows: Sequence[HostScorecard]) -> None:
    sheet.append([column.header for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row_number, card in enumerate(rows, start=2):
        for column_number, column in enumerate(columns, start=1):
            cell = sheet.cell(row=row_number, column=column_number, value=_cell_value(column.value(card), column.kind))
            if column.kind in FORMATS and cell.value != NOT_AVAILABLE:
                cell.number_format = FORMATS[column.kind]
    sheet.freeze_panes = "C2"


def scorecard_workbook(
    period: Period,
    weights: RankingWeights,
    ranked: Sequence[RankedScorecard],
    excluded: Sequence[str],
    by_brand: Sequence[HostScorecard],
) -> bytes:
    workbook = Workbook()
    ranking = workbook.active
    assert ranking is not None
    ranking.title = "主播排名"
    ranking_columns = (
        Column("排名 Rank", lambda c: c.rank if isinstance(c, RankedScorecard) else None),
        Column("主播 Host", lambda c: c.host_name, "text"),
        Column("得分 Score", lambda c: c.score if isinstance(c, RankedScorecard) else None, "float"),
        *FIGURES,
    )
    _write_table(ranking, ranking_columns, ranked)
    brands = workbook.create_sheet("主播×品牌")
    brand_columns = (
        Column("主播 Host", lambda c: c.host_name, "text"),
        Column("品牌/商家 Organization", lambda c: c.organization_name or "—", "text"),
        *FIGURES,
    )
    _write_table(brands, brand_columns, by_brand)
    about = workbook.create_sheet("权重与说明")
    about.append(["期间 Period", f"{period.date_from.isoformat()} – {period.date_to.isoformat()} ({period.timezone})"])
    about.append([])
    about.append(["指标 Metric", "权重 Weight", "计入排名 Used"])
    weight_of = weights.model_dump()
    for metric in RANKING_METRICS:
        used = "否（无数据）" if metric.key in excluded else ("是" if weight_of[metric.key] else "否")
        about.append([metric.key, weight_of[metric.key], used])
    about.append([])
    about.append(["暂无 = 数据不足或对应模块尚未提供，不是 0 (not available, never zero)"])
    about.append(["退款计入其订单所在期间 (a refund counts in the period of the order it refunds)"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

"""The reasoning of the replay report (复盘), as pure functions over a session's figures.

Everything here is derived from the data passed in: a finding exists only when a figure crosses a
documented threshold, and each finding carries the figures that triggered it.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from livebridge.replay.schemas import (
    Advice,
    AspectCount,
    DropOff,
    FunnelComparison,
    ProductReplay,
    SegmentImpact,
)
from livebridge.stats.schemas import MinuteFigures

# A minute is a drop-off when its loss of online viewers is this many robust standard deviations
# (1.4826 × MAD) above the session's median minute, and at least MIN_DROP_SHARE of those online.
DROP_OFF_Z: Final = 3.0
MIN_DROP_SHARE: Final = 0.05
MAX_DROP_OFFS: Final = 5
# An explanation loses viewers when online falls by SEGMENT_DROP_SHARE or more over it, faster
# than SEGMENT_DROP_PACE × the session's usual loss per minute.
SEGMENT_DROP_SHARE: Final = 0.20
SEGMENT_DROP_PACE: Final = 1.5
MIN_ONLINE_FOR_RATES: Final = 20
# A funnel step is flagged when its rate is below FUNNEL_BELOW × the comparison rate (above
# FUNNEL_ABOVE × it is praised).
FUNNEL_BELOW: Final = 0.8
FUNNEL_ABOVE: Final = 1.2
MIN_CLICKS_FOR_CONVERSION: Final = 30
PRODUCT_CONVERSION_BELOW: Final = 0.5
MIN_REFUNDS: Final = 3
REFUND_RATE_HIGH: Final = 0.10
MIN_EXPLAINED_SECONDS: Final = 180
EXPLAINED_GMV_BELOW: Final = 0.3
MIN_UNANSWERED_QUESTIONS: Final = 5
MIN_COMPLAINTS: Final = 3
MAX_ADVICE_PER_KIND: Final = 3  # the worst few of a kind; the tables under the advice list the rest

# What to do when a funnel step converts worse than before, per step.
FUNNEL_REMEDIES: Final = {
    "product_click": "多口播引导点击小黄车，讲解时及时挂链接",
    "cart_add": "检查价格、规格与详情页卖点是否清楚",
    "order_created": "用限时优惠或口播催单，减少加购未下单",
    "order_paid": "检查支付环节、库存与优惠券设置，减少下单未支付",
}
ASPECT_NAMES: Final = {
    "size": "尺码",
    "colour": "颜色",
    "price": "价格",
    "quality": "质量",
    "material": "材质",
    "function": "功能",
    "packaging": "包装",
    "logistics": "物流",
    "after_sales": "售后",
    "authenticity": "正品",
    "usage_installation": "使用安装",
}


def percent(value: float) -> str:
    return f"{value * 100:.1f}%".replace(".0%", "%")


def yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


def _online_at(minutes: Sequence[MinuteFigures], moment: datetime) -> int | None:
    """Online viewers in the minute holding ``moment`` (the last minute before it if none)."""
    minute = moment.replace(second=0, microsecond=0)
    before = [m for m in minutes if m.minute <= minute]
    return before[-1].online if before else None


def minute_losses(minutes: Sequence[MinuteFigures]) -> list[tuple[MinuteFigures, int, int]]:
    """(minute, online the minute before, viewers lost) for each minute after the first."""
    return [
        (current, previous.online, max(previous.online - current.online, 0))
        for previous, current in itertools.pairwise(minutes)
    ]


def _product_on_screen(segments: Sequence[SegmentImpact], moment: datetime) -> str | None:
    for segment in segments:
        if segment.started_at <= moment and (segment.ended_at is None or moment < segment.ended_at):
            return segment.product_name
    return None


def find_drop_offs(minutes: Sequence[MinuteFigures], segments: Sequence[SegmentImpact]) -> list[DropOff]:
    """Minutes that lost far more viewers than the session usually does, with what was on screen."""
    losses = minute_losses(minutes)
    if len(losses) < 5:
        return []
    values = [loss for _, _, loss in losses]
    median = statistics.median(values)
    spread = 1.4826 * statistics.median(abs(v - median) for v in values) or 1.0
    found = [
        DropOff(
            minute=minute.minute,
            online_before=before,
            online_after=minute.online,
            lost=loss,
            drop_share=round(loss / before, 4),
            leaves=minute.leaves,
            product_on_screen=_product_on_screen(segments, minute.minute + timedelta(seconds=30)),
            z_score=round((loss - median) / spread, 1),
        )
        for minute, before, loss in losses
        if before >= MIN_ONLINE_FOR_RATES and loss / before >= MIN_DROP_SHARE and (loss - median) / spread >= DROP_OFF_Z
    ]
    found.sort(key=lambda d: (-d.lost, d.minute))
    return sorted(found[:MAX_DROP_OFFS], key=lambda d: d.minute)


def usual_loss_per_minute(minutes: Sequence[MinuteFigures]) -> float:
    """The session's median share of viewers lost per minute (0 when it mostly grew)."""
    shares = [loss / before for _, before, loss in minute_losses(minutes) if before > 0]
    return statistics.median(shares) if shares else 0.0


def segment_online(
    minutes: Sequence[MinuteFigures], started_at: datetime, ended_at: datetime
) -> tuple[int | None, int | None]:
    return _online_at(minutes, started_at), _online_at(minutes, ended_at - timedelta(seconds=1))


def funnel_advice(funnel: Sequence[FunnelComparison]) -> list[Advice]:
    advice: list[Advice] = []
    for step in funnel:
        if step.rate is None or step.previous_label is None:
            continue
        for scope, rate, sessions in (
            ("该主播", step.host_rate, step.host_sessions),
            ("本店", step.shop_rate, step.shop_sessions),
        ):
            if rate is None or rate == 0:
                continue
            stage = f"「{step.previous_label}→{step.label}」转化率 {percent(step.rate)}"
            if step.rate < FUNNEL_BELOW * rate:
                remedy = FUNNEL_REMEDIES.get(step.step, "")
                advice.append(
                    Advice(
                        kind="funnel_below",
                        severity="warning",
                        text=f"{stage}，低于{scope}以往 {sessions} 场的 {percent(rate)}，建议{remedy}",
                    )
                )
                break
            if step.rate > FUNNEL_ABOVE * rate:
                advice.append(
                    Advice(
                        kind="funnel_above",
                        severity="good",
                        text=f"{stage}，高于{scope}以往 {sessions} 场的 {percent(rate)}，本场做法值得保留",
                    )
                )
                break
    return advice


def segment_advice(segments: Sequence[SegmentImpact], usual_loss: float) -> list[Advice]:
    """Explanations that lost viewers faster than the session usually does: the worst few."""
    found: list[tuple[float, Advice]] = []
    for segment in segments:
        if segment.online_change is None or segment.online_start is None or segment.online_end is None:
            continue
        minutes = max(segment.seconds / 60, 1.0)
        pace = -segment.online_change / minutes
        if (
            segment.online_start >= MIN_ONLINE_FOR_RATES
            and -segment.online_change >= SEGMENT_DROP_SHARE
            and pace > SEGMENT_DROP_PACE * usual_loss
        ):
            text = (
                f"讲解「{segment.product_name}」的 {minutes:.0f} 分钟里在线人数从 {segment.online_start} "
                f"降到 {segment.online_end}（下降 {percent(-segment.online_change)}），建议缩短讲解或提前上福利"
            )
            found.append((segment.online_change, Advice(kind="segment_drop", severity="warning", text=text)))
    return [advice for _, advice in sorted(found, key=lambda item: item[0])[:MAX_ADVICE_PER_KIND]]


def product_advice(products: Sequence[ProductReplay]) -> list[Advice]:
    """Products that convert, keep or sell far worse than the rest: the worst few of each kind."""
    found: dict[str, list[tuple[float, Advice]]] = {"conversion": [], "refunds": [], "slow": []}
    clicks = sum(p.clicks for p in products)
    buyers = sum(p.paid_orders for p in products)
    overall = buyers / clicks if clicks else None
    explained = [p for p in products if p.explained_seconds >= MIN_EXPLAINED_SECONDS]
    per_minute = [p.paid_fen / (p.explained_seconds / 60) for p in explained]
    typical = statistics.median(per_minute) if len(per_minute) >= 3 else None
    for product in products:
        name = product.product_name or " ".join(product.references)
        if overall and product.clicks >= MIN_CLICKS_FOR_CONVERSION:
            conversion = product.paid_orders / product.clicks
            if conversion < PRODUCT_CONVERSION_BELOW * overall:
                text = (
                    f"「{name}」点击 {product.clicks} 次仅支付 {product.paid_orders} 单"
                    f"（转化 {percent(conversion)}，全场 {percent(overall)}），建议核对价格、库存与详情页"
                )
                found["conversion"].append(
                    (conversion, Advice(kind="product_low_conversion", severity="warning", text=text))
                )
        if product.paid_orders and product.refunds >= MIN_REFUNDS:
            rate = product.refunds / product.paid_orders
            if rate >= REFUND_RATE_HIGH:
                text = (
                    f"「{name}」退款 {product.refunds} 单（退款率 {percent(rate)}，{yuan(product.refund_fen)}），"
                    "建议核查讲解是否夸大、尺码或质量问题"
                )
                found["refunds"].append((-rate, Advice(kind="product_refunds", severity="warning", text=text)))
        if typical and product.explained_seconds >= MIN_EXPLAINED_SECONDS:
            pace = product.paid_fen / (product.explained_seconds / 60)
            if pace < EXPLAINED_GMV_BELOW * typical:
                text = (
                    f"「{name}」讲解 {product.explained_seconds // 60} 分钟成交 {yuan(product.paid_fen)}，"
                    f"每分钟成交仅为讲解商品中位数的 {percent(pace / typical)}，建议调整讲解顺序或话术"
                )
                found["slow"].append((pace, Advice(kind="product_slow_seller", severity="info", text=text)))
    return [
        advice for kind in found.values() for _, advice in sorted(kind, key=lambda item: item[0])[:MAX_ADVICE_PER_KIND]
    ]


def _top_aspects(counts: Sequence[AspectCount], minimum: int) -> str | None:
    """'价格 23 条、功能 17 条' for the most frequent aspects at or above ``minimum``, or None."""
    top = [item for item in counts if item.count >= minimum][:MAX_ADVICE_PER_KIND]
    return "、".join(f"{ASPECT_NAMES.get(i.aspect, i.aspect)} {i.count} 条" for i in top) if top else None


def comment_advice(unanswered: Sequence[AspectCount], complaints: Sequence[AspectCount]) -> list[Advice]:
    advice = []
    asked = _top_aspects(unanswered, MIN_UNANSWERED_QUESTIONS)
    if asked:
        advice.append(
            Advice(
                kind="unanswered_questions",
                severity="warning",
                text=f"未回复的提问集中在：{asked}，建议安排助播集中解答并在详情页补充说明",
            )
        )
    complained = _top_aspects(complaints, MIN_COMPLAINTS)
    if complained:
        advice.append(
            Advice(
                kind="complaints",
                severity="warning",
                text=f"投诉与负面评论集中在：{complained}，建议会后跟进并反馈给供应链",
            )
        )
    return advice


def peak_advice(
    minutes: Sequence[MinuteFigures], segments: Sequence[SegmentImpact], start: datetime | None
) -> list[Advice]:
    if not minutes or start is None:
        return []
    peak = max(minutes, key=lambda m: (m.online, -m.minute.timestamp()))
    if peak.online < MIN_ONLINE_FOR_RATES:
        return []
    on_screen = _product_on_screen(segments, peak.minute + timedelta(seconds=30))
    offset = int((peak.minute - start.replace(second=0, microsecond=0)).total_seconds() // 60)
    where = f"（正在讲解「{on_screen}」）" if on_screen else "（当时未讲解商品）"
    return [
        Advice(
            kind="peak",
            severity="info",
            text=f"在线峰值 {peak.online} 人出现在开播第 {offset} 分钟{where}，主推款宜安排在人气高点前后",
        )
    ]

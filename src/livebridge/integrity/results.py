"""What a detector answers: a status, reasons with their evidence, and what it flagged.

A detector never says "clean" when it could not look: too little data is ``not_enough_data``,
an exception is ``unavailable`` (and logged), and only ``ok`` with no reasons means nothing found.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = ["REASON_TEXTS", "DetectorResult", "Family", "Reason", "Status", "reason_text"]

Positions = npt.NDArray[np.intp]
EMPTY: Final[Positions] = np.zeros(0, dtype=np.intp)


class Family(enum.StrEnum):
    VIEWERS = "viewers"
    COMMENTS = "comments"
    ORDERS = "orders"


class Status(enum.StrEnum):
    OK = "ok"
    NOT_ENOUGH_DATA = "not_enough_data"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Reason:
    """One finding: a stable code, the figures it rests on, and how much of the family it explains."""

    code: str
    params: dict[str, Any]
    weight: float  # flagged share of the family's units (viewers, comments or orders) this reason covers
    accounts: list[str] = field(default_factory=list)  # a sample of the accounts involved (at most 20)
    start: int | None = None  # microseconds since the epoch
    end: int | None = None


@dataclass
class DetectorResult:
    """``flagged_*`` are codes into the session's viewers / orders, and event positions of comments."""

    detector: str
    family: Family
    status: Status
    reasons: list[Reason] = field(default_factory=list)
    flagged_viewers: Positions = field(default_factory=lambda: EMPTY)
    flagged_comments: Positions = field(default_factory=lambda: EMPTY)
    flagged_orders: Positions = field(default_factory=lambda: EMPTY)
    note: str = ""  # why there was not enough data, or the error
    seconds: float = 0.0  # how long the detector ran

    @classmethod
    def not_enough(cls, detector: str, family: Family, note: str) -> DetectorResult:
        return cls(detector=detector, family=family, status=Status.NOT_ENOUGH_DATA, note=note)


# Reason texts, Chinese first. Times in ``params`` are already formatted (HH:MM or HH:MM:SS, display zone).
REASON_TEXTS: Final[dict[str, tuple[str, str]]] = {
    "entry_burst": (
        "{start}–{end} 内 {entrants} 个账号涌入（房间基线每秒 {baseline} 个），其中 {silent} 个全场无任何互动"
        "，占当时在线 {online_share}",
        "{entrants} accounts entered between {start} and {end} (room baseline {baseline}/s); {silent} never "
        "interacted, {online_share} of the viewers online then",
    ),
    "lockstep": (
        "{groups} 组共 {accounts} 个账号同一秒进房、同一秒离开（最大一组 {largest} 个）",
        "{accounts} accounts in {groups} groups entered and left in the same seconds (largest group {largest})",
    ),
    "regular_entries": (
        "{start}–{end} 有 {accounts} 个账号以 {gap} 秒的机器般固定间隔依次进房",
        "{accounts} accounts entered one after another every {gap} s, machine-regular, between {start} and {end}",
    ),
    "heartbeat": (
        "{accounts} 个账号反复进出直播间，间隔几乎不变（变异系数 ≤ {cv}）",
        "{accounts} accounts kept re-entering at near-constant intervals (coefficient of variation ≤ {cv})",
    ),
    "co_appearance": (
        "{accounts} 个账号在 {sessions} 场直播中都在同一 {window} 秒内一起进房",
        "{accounts} accounts entered together, within {window} s, in each of {sessions} sessions",
    ),
    "online_jump": (
        "在线人数在 {at} 跳升 {jump}，同期只有 {enters} 人进房；{samples} 次此类跳升共虚增约 {excess}",
        "The online count jumped by {jump} at {at} with only {enters} enters; {samples} such jumps add about "
        "{excess} unexplained viewers",
    ),
    "comment_burst": (
        "{start}–{end} {accounts} 个账号发出 {comments} 条近似相同的评论：“{example}”",
        "{accounts} accounts posted {comments} near-identical comments between {start} and {end}: “{example}”",
    ),
    "template_flood": (
        "同一模板评论全场出现 {comments} 次，来自 {accounts} 个账号，多数账号反复发送：“{example}”",
        "One comment template appeared {comments} times from {accounts} accounts, mostly posting it again and "
        "again: “{example}”",
    ),
    "copy_accounts": (
        "{accounts} 个账号的评论全部照抄他人先前的评论（共 {comments} 条）",
        "{accounts} accounts posted nothing but copies of earlier comments by others ({comments} comments)",
    ),
    "order_brushing": (
        "SKU {sku} 在 {start}–{end} 订单集中度 {rate}（{orders} 单 / {buyers} 个买家），可疑买家 {top}（占 {share}）",
        "SKU {sku}: concentrate rate {rate} between {start} and {end} ({orders} orders / {buyers} buyers); "
        "suspicious buyer(s) {top} ({share} of the orders)",
    ),
    "dense_block": (
        "{buyers} 个买家 × {skus} 个 SKU 构成稠密下单块（{orders} 单，密度为全场的 {lift} 倍）",
        "{buyers} buyers × {skus} SKUs form a dense ordering block ({orders} orders, {lift}× the session's density)",
    ),
    "quick_refunds": (
        "{orders} 笔订单在支付后 {minutes} 分钟内退款，涉及 {buyers} 个买家，金额 ¥{amount}",
        "{orders} orders were refunded within {minutes} minutes of payment by {buyers} buyers (¥{amount})",
    ),
    "shared_fingerprint": (
        "{buyers} 个买家共用 {fingerprints} 个收货地址或设备指纹，下单 {orders} 笔",
        "{buyers} buyers share {fingerprints} delivery addresses or device fingerprints ({orders} orders)",
    ),
}


def reason_text(reason: Reason, locale: str = "zh_CN") -> str:
    chinese, english = REASON_TEXTS[reason.code]
    return (english if locale.startswith("en") else chinese).format(**reason.params)

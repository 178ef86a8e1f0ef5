"""Known fakes made as live events, for the evaluation and the demo: bots, scripted comments,
brushed orders. Every event is marked simulated and its id starts with ``inj-``.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Final

from livebridge.ingest.schemas import (
    Comment,
    Enter,
    Leave,
    LiveEvent,
    OrderCreated,
    OrderPaid,
    OrderRefunded,
)
from livebridge.integrity.columns import to_datetime

__all__ = ["MINUTE_US", "NOISE", "SCRIPTS", "SECOND_US", "Injector"]

SCRIPTS: Final = (
    "主播太好看了大家快关注直播间",
    "这款真的超级好用已经回购三次了",
    "家人们赶紧下单手慢无啊冲冲冲",
    "全网最低价错过今天再等一年",
    "质量非常好物流也很快五星好评",
    "点点关注不迷路主播带你看好物",
)
SECOND_US: Final = 1_000_000
MINUTE_US: Final = 60 * SECOND_US
NOISE: Final = ("！", "~", "👍", "🔥", "。", "啊", "呀", "哈", " ", "…")


class Injector:
    """Makes marked events; every id starts with ``inj-``."""

    def __init__(self, seed: int, prefix: str = "inj") -> None:
        self.rng = random.Random(seed)
        self.prefix = prefix  # ids must differ between sessions of one tenant
        self.counter = 0

    def eid(self) -> str:
        self.counter += 1
        return f"{self.prefix}-{self.counter}"

    def at(self, moment: int) -> datetime:
        return to_datetime(moment).astimezone(UTC)

    def enter(self, viewer: str, moment: int) -> Enter:
        return Enter(event_id=self.eid(), occurred_at=self.at(moment), viewer_id=viewer, is_simulated=True)

    def leave(self, viewer: str, moment: int) -> Leave:
        return Leave(event_id=self.eid(), occurred_at=self.at(moment), viewer_id=viewer, is_simulated=True)

    def comment(self, viewer: str, moment: int, text: str) -> Comment:
        return Comment(event_id=self.eid(), occurred_at=self.at(moment), viewer_id=viewer, text=text, is_simulated=True)

    def variant(self, text: str, edits: int) -> str:
        chars = list(text)
        for _ in range(edits):
            chars.insert(self.rng.randrange(len(chars) + 1), self.rng.choice(NOISE))
        return "".join(chars)

    def order(
        self, order_id: str, buyer: str, sku: str, amount: int, moment: int, refund_after: int | None
    ) -> list[LiveEvent]:
        kinds: tuple[tuple[type[OrderCreated | OrderPaid | OrderRefunded], int], ...] = (
            (OrderCreated, moment),
            (OrderPaid, moment + 20 * SECOND_US),
            (OrderRefunded, moment + 20 * SECOND_US + (refund_after or 0)),
        )
        made: list[LiveEvent] = [
            kind(
                event_id=self.eid(),
                occurred_at=self.at(at),
                order_id=order_id,
                viewer_id=buyer,
                sku_code=sku,
                amount_fen=amount,
                is_simulated=True,
            )
            for kind, at in kinds
            if kind is not OrderRefunded or refund_after is not None
        ]
        return made

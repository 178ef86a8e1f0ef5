"""Small hand-built sessions for the detector tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from livebridge.integrity.columns import SECOND, SessionEvents, from_records, micros, to_datetime

START = micros(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
# Common characters: random strings of them make comments that resemble nothing else.
CHARACTERS = list(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研"
)


def clock(value: int) -> str:
    return to_datetime(value).strftime("%H:%M:%S")


@dataclass
class Session:
    """Events added in any order; ``build`` sorts them. Times are seconds after START."""

    rows: list[tuple[str, int, str | None, str | None, str | None, str | None, int | None, int | None]] = field(
        default_factory=list
    )

    def add(
        self,
        kind: str,
        at: float,
        viewer: str | None = None,
        *,
        text: str | None = None,
        sku: str | None = None,
        order: str | None = None,
        amount: int | None = None,
        count: int | None = None,
    ) -> Session:
        self.rows.append((kind, START + round(at * SECOND), viewer, text, sku, order, amount, count))
        return self

    def order(
        self, at: float, buyer: str, order_id: str, sku: str, amount: int = 10_000, refund_after: float | None = None
    ) -> Session:
        self.add("order_created", at, buyer, sku=sku, order=order_id, amount=amount)
        self.add("order_paid", at + 10, buyer, sku=sku, order=order_id, amount=amount)
        if refund_after is not None:
            self.add("order_refunded", at + 10 + refund_after, buyer, sku=sku, order=order_id, amount=amount)
        return self

    def build(self) -> SessionEvents:
        kinds, times, viewers, texts, skus, orders, amounts, counts = (
            zip(*self.rows, strict=True) if self.rows else ((),) * 8
        )
        return from_records(
            list(kinds),
            np.array(times, dtype=np.int64),
            list(viewers),
            list(texts),
            list(skus),
            list(orders),
            list(amounts),
            list(counts),
        )


def crowd(session: Session, viewers: int, *, minutes: int = 60, talk_every: int = 3, seed: int = 1) -> Session:
    """Honest viewers arriving through the hour; every ``talk_every``-th says something unique."""
    rng = np.random.default_rng(seed)
    for i in range(viewers):
        at = float(rng.uniform(0, minutes * 60))
        session.add("enter", at, f"u{i}")
        if i % talk_every == 0:
            session.add("comment", at + 20, f"u{i}", text="".join(rng.choice(CHARACTERS, 10)))
        session.add("leave", at + float(rng.uniform(60, 900)), f"u{i}")
    return session

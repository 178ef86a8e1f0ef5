"""The live event wire format (one JSON object per line), decoded per line with msgspec.

Every event has a source-assigned ``event_id``; ``(tenant, source, event_id)`` is unique, so a
retried batch never double-counts. Times must carry a zone. Money is integer fen. See
docs/events.md for the field table and the JSON Schema.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Final

import msgspec

MAX_COMMENT_CHARS: Final = 500
MAX_ID_CHARS: Final = 128

EventId = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID_CHARS)]
ViewerId = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID_CHARS)]
Fen = Annotated[int, msgspec.Meta(ge=0, le=10_000_000_000)]
Count = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=100_000)]


class EventType(enum.StrEnum):
    ENTER = "enter"
    LEAVE = "leave"
    COMMENT = "comment"
    LIKE = "like"
    GIFT = "gift"
    FOLLOW = "follow"
    SHARE = "share"
    PRODUCT_CLICK = "product_click"
    CART_ADD = "cart_add"
    ORDER_CREATED = "order_created"
    ORDER_PAID = "order_paid"
    ORDER_REFUNDED = "order_refunded"
    ONLINE_COUNT = "online_count"
    PRODUCT_EXPLAIN_START = "product_explain_start"
    PRODUCT_EXPLAIN_END = "product_explain_end"


class _Event(msgspec.Struct, tag_field="type", forbid_unknown_fields=True, kw_only=True):
    """Fields every event has."""

    event_id: EventId
    occurred_at: datetime
    source: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] = "api"
    viewer_id: ViewerId | None = None
    is_simulated: bool = False


class Enter(_Event, tag="enter", kw_only=True):
    viewer_id: ViewerId


class Leave(_Event, tag="leave", kw_only=True):
    viewer_id: ViewerId


class Comment(_Event, tag="comment", kw_only=True):
    viewer_id: ViewerId
    text: str  # cut to MAX_COMMENT_CHARS by validation, not refused


class Like(_Event, tag="like", kw_only=True):
    count: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 1


class Gift(_Event, tag="gift", kw_only=True):
    gift_name: Annotated[str, msgspec.Meta(max_length=64)]
    quantity: Quantity = 1
    value_fen: Fen


class Follow(_Event, tag="follow", kw_only=True):
    viewer_id: ViewerId


class Share(_Event, tag="share", kw_only=True):
    pass


class ProductClick(_Event, tag="product_click", kw_only=True):
    sku_code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    link_number: Annotated[int, msgspec.Meta(ge=1, le=999)] | None = None


class CartAdd(_Event, tag="cart_add", kw_only=True):
    sku_code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    quantity: Quantity = 1


class _OrderEvent(_Event, kw_only=True):
    order_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    sku_code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    quantity: Quantity = 1
    amount_fen: Fen


class OrderCreated(_OrderEvent, tag="order_created", kw_only=True):
    pass


class OrderPaid(_OrderEvent, tag="order_paid", kw_only=True):
    pass


class OrderRefunded(_OrderEvent, tag="order_refunded", kw_only=True):
    pass


class OnlineCount(_Event, tag="online_count", kw_only=True):
    count: Count


class ProductExplainStart(_Event, tag="product_explain_start", kw_only=True):
    sku_code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    link_number: Annotated[int, msgspec.Meta(ge=1, le=999)] | None = None


class ProductExplainEnd(_Event, tag="product_explain_end", kw_only=True):
    sku_code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    link_number: Annotated[int, msgspec.Meta(ge=1, le=999)] | None = None


LiveEvent = (
    Enter
    | Leave
    | Comment
    | Like
    | Gift
    | Follow
    | Share
    | ProductClick
    | CartAdd
    | OrderCreated
    | OrderPaid
    | OrderRefunded
    | OnlineCount
    | ProductExplainStart
    | ProductExplainEnd
)
EVENT_CLASSES: Final = {
    cls.__struct_config__.tag: cls
    for cls in (
        Enter,
        Leave,
        Comment,
        Like,
        Gift,
        Follow,
        Share,
        ProductClick,
        CartAdd,
        OrderCreated,
        OrderPaid,
        OrderRefunded,
        OnlineCount,
        ProductExplainStart,
        ProductExplainEnd,
    )
}
assert set(EVENT_CLASSES) == {t.value for t in EventType}

_decoder: Final = msgspec.json.Decoder(LiveEvent)
_array_decoder: Final = msgspec.json.Decoder(list[LiveEvent])
encode: Final = msgspec.json.Encoder().encode


def decode_event(line: bytes | str) -> LiveEvent:
    """Decode one NDJSON line. Raises msgspec.ValidationError / DecodeError with the field path."""
    event: LiveEvent = _decoder.decode(line)
    if event.occurred_at.tzinfo is None:
        raise msgspec.ValidationError("occurred_at must carry a time zone (e.g. +08:00 or Z) - at `$.occurred_at`")
    if isinstance(event, Comment) and len(event.text) > MAX_COMMENT_CHARS:
        event.text = event.text[:MAX_COMMENT_CHARS]
    return event


def decode_clean_body(body: bytes, is_array: bool) -> list[LiveEvent] | None:
    """Every event of a body in one call when the body is clean: each item (each NDJSON line) one
    valid event. None otherwise (the caller then decodes line by line to say what is wrong where).
    Long comments are cut as ``decode_event`` cuts them; zones and times are left to the caller."""
    try:
        events: list[LiveEvent] = _array_decoder.decode(body) if is_array else _decoder.decode_lines(body)
    except msgspec.MsgspecError:
        return None
    if not is_array and len(events) != body.count(b"\n") + (not body.endswith(b"\n")):
        return None  # a blank line, or an event over several lines: the line-by-line path judges
    for event in events:
        if type(event) is Comment and len(event.text) > MAX_COMMENT_CHARS:
            event.text = event.text[:MAX_COMMENT_CHARS]
    return events


def json_schema() -> dict[str, object]:
    """The JSON Schema of one event line (docs/events.schema.json is this, written out)."""
    schema: dict[str, object] = msgspec.json.schema(LiveEvent)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "LiveBridge live event (one NDJSON line)"
    return schema

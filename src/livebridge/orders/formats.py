"""Reading order and after-sale exports: CSV, Excel (.xlsx) or NDJSON, with 抖店 column names accepted.

Every reader yields ``(row number, {column: value})``; the row number is the one a person sees in
the file (the header is row 1 of a CSV or sheet; NDJSON counts lines). Column names are matched
after trimming, so the documented English names (docs/orders.md) and the Chinese headers of a
Douyin 抖店 export both work. Values are then parsed field by field; a problem names its field.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

import orjson

from livebridge.kit.money import parse_yuan
from livebridge.models import AfterSaleStatus, AfterSaleType, OrderStatus, Platform, TrafficSource

SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
RawRow = dict[str, Any]
T = TypeVar("T")

# Documented column → the names platform exports use for it (抖店 export headers, API field names).
ORDER_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "order_no": ("子订单编号", "子订单号", "sku_order_id", "order_id", "订单编号"),
    "parent_order_no": ("主订单编号", "主订单号", "parent_order_id"),
    "platform": ("平台",),
    "shop": ("店铺名称", "店铺", "shop_name"),
    "sku_code": ("商家编码", "商品编码", "out_sku_id", "sku"),
    "quantity": ("商品数量", "item_num", "数量"),
    "paid_fen": ("pay_amount",),
    "paid_yuan": ("订单应付金额", "实付金额", "支付金额"),
    "buyer_id": ("买家ID", "doudian_open_id", "buyer_open_id"),
    "receiver_phone": ("收件人手机号", "收件人电话", "post_tel", "mask_post_tel"),
    "province": ("省", "收件省份"),
    "city": ("市", "收件城市"),
    "district": ("区", "区县", "收件区县", "town"),
    "street": ("街道", "street_name"),
    "detail": ("详细地址", "收件地址详情"),
    "address": ("收货地址", "收件地址"),
    "status": ("订单状态", "order_status", "main_status"),
    "created_at": ("订单提交时间", "下单时间", "create_time"),
    "paid_at": ("支付完成时间", "支付时间", "pay_time"),
    "shipped_at": ("发货时间", "ship_time"),
    "finished_at": ("订单完成时间", "完成时间", "finish_time"),
    "room_id": ("直播间ID", "直播间id", "room_id_str"),
    "session_id": ("场次ID",),
    "host": ("达人昵称", "主播", "author_name"),
    "traffic_source": ("流量来源", "流量渠道", "theme_type"),
    "dealer_code": ("经销商编码",),
    "is_simulated": (),
}

AFTER_SALE_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "request_no": ("售后单号", "售后编号", "aftersale_id"),
    "order_no": ("子订单编号", "子订单号", "订单编号", "related_id", "order_id"),
    "type": ("售后类型", "aftersale_type"),
    "reason_code": ("售后原因编码", "reason_code"),
    "reason_text": ("售后原因", "reason_text"),
    "description": ("问题描述", "买家留言", "申请描述"),
    "amount_fen": ("refund_amount",),
    "amount_yuan": ("退款金额", "申请金额"),
    "status": ("售后状态", "aftersale_status"),
    "applied_at": ("申请时间", "apply_time"),
    "updated_at": ("更新时间", "update_time"),
    "closed_at": ("完结时间", "售后完结时间"),
    "is_simulated": (),
}

ORDER_STATUSES: Final[dict[str, OrderStatus]] = {
    # 抖店 order_status / main_status codes (domain-schemas §2.1)
    "1": OrderStatus.CREATED,
    "103": OrderStatus.PAID,
    "105": OrderStatus.PAID,
    "2": OrderStatus.PROCESSING,
    "101": OrderStatus.SHIPPED,
    "3": OrderStatus.SHIPPED,
    "4": OrderStatus.CANCELLED,
    "5": OrderStatus.COMPLETED,
    "21": OrderStatus.REFUNDED,
    "22": OrderStatus.REFUNDED,
    "39": OrderStatus.REFUNDED,
    # 抖店 status texts
    "待支付": OrderStatus.CREATED,
    "待确认": OrderStatus.CREATED,
    "已支付": OrderStatus.PAID,
    "待发货": OrderStatus.PAID,
    "备货中": OrderStatus.PROCESSING,
    "部分发货": OrderStatus.SHIPPED,
    "已发货": OrderStatus.SHIPPED,
    "已签收": OrderStatus.DELIVERED,
    "已完成": OrderStatus.COMPLETED,
    "已收货": OrderStatus.COMPLETED,
    "已取消": OrderStatus.CANCELLED,
    "已关闭": OrderStatus.CANCELLED,
    "发货前退款完结": OrderStatus.REFUNDED,
    "发货后退款完结": OrderStatus.REFUNDED,
    "收货后退款完结": OrderStatus.REFUNDED,
    "已退款": OrderStatus.REFUNDED,
    **{status.value: status for status in OrderStatus},
}

AFTER_SALE_TYPES: Final[dict[str, AfterSaleType]] = {
    # 抖店 aftersale_type codes
    "0": AfterSaleType.RETURN_REFUND,
    "1": AfterSaleType.REFUND_ONLY,
    "2": AfterSaleType.REFUND_ONLY,
    "3": AfterSaleType.EXCHANGE,
    "7": AfterSaleType.REISSUE,
    "8": AfterSaleType.REPAIR,
    "仅退款": AfterSaleType.REFUND_ONLY,
    "已发货仅退款": AfterSaleType.REFUND_ONLY,
    "未发货仅退款": AfterSaleType.REFUND_ONLY,
    "退货退款": AfterSaleType.RETURN_REFUND,
    "换货": AfterSaleType.EXCHANGE,
    "补寄": AfterSaleType.REISSUE,
    "维修": AfterSaleType.REPAIR,
    "安装": AfterSaleType.INSTALLATION,
    **{kind.value: kind for kind in AfterSaleType},
}

AFTER_SALE_STATUSES: Final[dict[str, AfterSaleStatus]] = {
    # 抖店 aftersale_status codes (domain-schemas §2.2)
    "6": AfterSaleStatus.REQUESTED,
    "7": AfterSaleStatus.AWAITING_RETURN,
    "8": AfterSaleStatus.IN_SERVICE,
    "11": AfterSaleStatus.RETURN_IN_TRANSIT,
    "12": AfterSaleStatus.SUCCEEDED,
    "13": AfterSaleStatus.IN_SERVICE,
    "14": AfterSaleStatus.SUCCEEDED,
    "27": AfterSaleStatus.REJECTED,
    "28": AfterSaleStatus.FAILED,
    "29": AfterSaleStatus.REJECTED,
    "待商家同意": AfterSaleStatus.REQUESTED,
    "待买家退货": AfterSaleStatus.AWAITING_RETURN,
    "待商家收货": AfterSaleStatus.RETURN_IN_TRANSIT,
    "待商家二次同意": AfterSaleStatus.RETURN_IN_TRANSIT,
    "待商家发货": AfterSaleStatus.IN_SERVICE,
    "待买家收货": AfterSaleStatus.IN_SERVICE,
    "服务中": AfterSaleStatus.IN_SERVICE,
    "退款中": AfterSaleStatus.REFUNDING,
    "售后成功": AfterSaleStatus.SUCCEEDED,
    "退款成功": AfterSaleStatus.SUCCEEDED,
    "商家拒绝": AfterSaleStatus.REJECTED,
    "售后关闭": AfterSaleStatus.CANCELLED,
    "买家取消": AfterSaleStatus.CANCELLED,
    "售后失败": AfterSaleStatus.FAILED,
    **{status.value: status for status in AfterSaleStatus},
}

TRAFFIC_SOURCES: Final[dict[str, TrafficSource]] = {
    "1": TrafficSource.LIVE,  # 抖店 theme_type 1 = 直播间
    "直播": TrafficSource.LIVE,
    "直播间": TrafficSource.LIVE,
    "短视频": TrafficSource.SHORT_VIDEO,
    "橱窗": TrafficSource.SHOWCASE,
    "商城": TrafficSource.MALL,
    "搜索": TrafficSource.SEARCH,
    "广告": TrafficSource.ADS,
    "其他": TrafficSource.OTHER,
    **{source.value: source for source in TrafficSource},
}

PLATFORMS: Final[dict[str, Platform]] = {
    "抖音": Platform.DOUYIN,
    "抖店": Platform.DOUYIN,
    "快手": Platform.KUAISHOU,
    "视频号": Platform.WECHAT_CHANNELS,
    "淘宝": Platform.TAOBAO,
    "哔哩哔哩": Platform.BILIBILI,
    **{platform.value: platform for platform in Platform},
}

MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")


class RowProblem(Exception):
    """One field of one row is wrong; the row is refused, the others go on."""

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RowError:
    row: int
    code: str
    field: str | None
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "code": self.code, "field": self.field, "message": self.message}


# Reading files -----------------------------------------------------------------------------------


def read_rows(data: bytes, filename: str) -> Iterator[tuple[int, RawRow]]:
    """Rows of a CSV, .xlsx or NDJSON file, chosen by the file name's suffix."""
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix == "csv":
        return _csv_rows(data)
    if suffix in ("xlsx", "xlsm"):
        return _excel_rows(data)
    if suffix in ("ndjson", "jsonl", "json"):
        return _ndjson_rows(data)
    raise ValueError(f"unknown file type {filename!r}: use .csv, .xlsx or .ndjson")


def _csv_rows(data: bytes) -> Iterator[tuple[int, RawRow]]:
    text = data.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    for row in reader:
        values = {(k or "").strip(): v for k, v in row.items() if k}
        if any((v or "").strip() for v in values.values()):
            yield reader.line_num, values


def _excel_rows(data: bytes) -> Iterator[tuple[int, RawRow]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(cell).strip() if cell is not None else "" for cell in next(rows, ())]
        for number, cells in enumerate(rows, start=2):
            values = {name: cell for name, cell in zip(header, cells, strict=False) if name}
            if any(v not in (None, "") for v in values.values()):
                yield number, values
    finally:
        workbook.close()


def _ndjson_rows(data: bytes) -> Iterator[tuple[int, RawRow]]:
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            yield number, {"__error__": "this line is not valid JSON"}
            continue
        yield number, value if isinstance(value, dict) else {"__error__": "each line must be a JSON object"}


def canonical(row: RawRow, columns: dict[str, tuple[str, ...]]) -> RawRow:
    """Rename known aliases to the documented column names; the documented name wins over an alias."""
    found: RawRow = {}
    for name, aliases in columns.items():
        for key in (name, *aliases):
            value = row.get(key)
            if value is not None and not (isinstance(value, str) and not value.strip()):
                found[name] = value
                break
    return found


# Field parsers ------------------------------------------------------------------------------------


def text(row: RawRow, name: str, *, required: bool = False, max_length: int = 200) -> str | None:
    value = row.get(name)
    if value is None:
        if required:
            raise RowProblem("missing_field", name, f"{name} is required")
        return None
    if isinstance(value, float) and value.is_integer():
        # Excel turns ids into numbers; above 2**53 their last digits are already lost.
        if abs(value) >= 2**53:
            raise RowProblem(
                "imprecise_number", name, f"{name} lost digits as an Excel number; format the column as text"
            )
        value = int(value)
    result = str(value).strip()
    if len(result) > max_length:
        raise RowProblem("too_long", name, f"{name} is longer than {max_length} characters")
    return result


def whole_number(row: RawRow, name: str, *, minimum: int = 0) -> int | None:
    value = row.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise RowProblem("not_a_whole_number", name, f"{name} must be a whole number, got {value!r}")
    try:
        number = int(str(value).strip()) if not isinstance(value, int | float) else int(value)
    except ValueError as exc:
        raise RowProblem("not_a_whole_number", name, f"{name} must be a whole number, got {value!r}") from exc
    if number < minimum:
        raise RowProblem("out_of_range", name, f"{name} must be at least {minimum}")
    return number


def money_fen(row: RawRow, fen_name: str, yuan_name: str, *, required: bool) -> int | None:
    """An amount from a fen column (integer) or a yuan column with up to two decimals, exactly."""
    if row.get(fen_name) is not None:
        return whole_number(row, fen_name)
    value = row.get(yuan_name)
    if value is None:
        if required:
            raise RowProblem("missing_field", yuan_name, f"{yuan_name} (or {fen_name}) is required")
        return None
    if isinstance(value, float):
        # Excel stores 299.9 as a binary float; its shortest repr is the decimal a person typed.
        value = repr(value)
    try:
        fen = parse_yuan(str(value))
    except ValueError as exc:
        raise RowProblem("not_an_amount", yuan_name, f"{yuan_name} is not an amount in yuan: {value!r}") from exc
    if fen < 0:
        raise RowProblem("out_of_range", yuan_name, f"{yuan_name} cannot be negative")
    return fen


def moment(row: RawRow, name: str, *, required: bool = False) -> datetime | None:
    """Unix seconds (or milliseconds), ISO 8601 with an offset, or ``YYYY-MM-DD HH:MM:SS`` in Beijing time."""
    value = row.get(name)
    if value is None:
        if required:
            raise RowProblem("missing_field", name, f"{name} is required")
        return None
    if isinstance(value, datetime):  # an Excel cell: wall-clock time of the export, Beijing
        return (value if value.tzinfo else value.replace(tzinfo=SHANGHAI)).astimezone(UTC)
    raw = str(value).strip()
    if re.fullmatch(r"\d{9,13}", raw):
        seconds = int(raw) / 1000 if len(raw) == 13 else int(raw)
        return datetime.fromtimestamp(seconds, UTC)
    try:
        parsed = datetime.fromisoformat(raw.replace("/", "-"))
    except ValueError as exc:
        raise RowProblem("not_a_time", name, f"{name} is not a time: {raw!r}") from exc
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)).astimezone(UTC)


def choice(row: RawRow, name: str, choices: dict[str, T], *, default: T | None = None) -> tuple[T, str]:
    """A value from a vocabulary (codes, Chinese labels or our names); returns it and the raw text."""
    raw = text(row, name)
    if raw is None:
        if default is None:
            raise RowProblem("missing_field", name, f"{name} is required")
        return default, ""
    found = choices.get(raw) or choices.get(raw.lower())
    if found is None:
        raise RowProblem("unknown_value", name, f"{name} {raw!r} is not one of the known values")
    return found, raw


def flag(row: RawRow, name: str) -> bool:
    value = row.get(name)
    return value is True or str(value).strip().lower() in {"1", "true", "yes", "是"}


# Personal data -------------------------------------------------------------------------------------


def mask_phone(value: str | None) -> str | None:
    """``13812345678`` → ``138****5678``; an already masked number stays as it is; other numbers keep 4 digits."""
    if not value:
        return None
    if "*" in value:
        return value[:20]
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    return f"****{digits[-4:]}" if len(digits) >= 4 else "****"


def mask_phones_in(value: str | None) -> str | None:
    """Phone numbers inside free text (addresses, descriptions) are masked before anything is stored."""
    if not value:
        return value
    value = MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", value)
    return LANDLINE.sub(lambda m: "****" + m.group(0)[-4:], value)


def buyer_hash(tenant_id: int, buyer_id: str | None, phone: str | None, order_no: str) -> str:
    """A tenant-salted SHA-256: the same buyer matches within a tenant, and is never readable."""
    if buyer_id:
        basis = f"id:{buyer_id}"
    elif phone:
        basis = "phone:" + re.sub(r"\D", "", phone)
    else:
        basis = f"order:{order_no}"
    return hashlib.sha256(f"{tenant_id}|{basis}".encode()).hexdigest()


def content_hash(values: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(values, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


# Row models ------------------------------------------------------------------------------------------


@dataclass
class OrderRow:
    order_no: str
    parent_order_no: str | None
    platform: Platform
    shop: str
    sku_code: str
    quantity: int
    paid_fen: int
    buyer_id: str | None
    receiver_phone: str | None
    province: str | None
    city: str | None
    district: str | None
    street: str | None
    address: str | None
    status: OrderStatus
    status_raw: str
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    finished_at: datetime | None
    room_id: str | None
    session_id: int | None
    host: str | None
    traffic_source: TrafficSource
    dealer_code: str | None
    is_simulated: bool
    fingerprint: str = field(default="")

    def address_text(self) -> str:
        """The whole receiver address as one text for the parser (phone numbers masked)."""
        parts = [self.province, self.city, self.district, self.street, self.address]
        return mask_phones_in("".join(p for p in parts if p)) or ""


def parse_order_row(raw: RawRow) -> OrderRow:
    if "__error__" in raw:
        raise RowProblem("invalid_line", "", str(raw["__error__"]))
    row = canonical(raw, ORDER_COLUMNS)
    status, status_raw = choice(row, "status", ORDER_STATUSES)
    detail = " ".join(p for p in (text(row, "street", max_length=100), text(row, "detail", max_length=300)) if p)
    parsed = OrderRow(
        order_no=_required(text(row, "order_no", required=True, max_length=64), "order_no"),
        parent_order_no=text(row, "parent_order_no", max_length=64),
        platform=choice(row, "platform", PLATFORMS, default=Platform.DOUYIN)[0],
        shop=_required(text(row, "shop", required=True), "shop"),
        sku_code=_required(text(row, "sku_code", required=True, max_length=64), "sku_code"),
        quantity=_positive(whole_number(row, "quantity", minimum=1), "quantity"),
        paid_fen=_required_int(money_fen(row, "paid_fen", "paid_yuan", required=True)),
        buyer_id=text(row, "buyer_id", max_length=128),
        receiver_phone=mask_phone(text(row, "receiver_phone", max_length=40)),
        province=text(row, "province", max_length=50),
        city=text(row, "city", max_length=50),
        district=text(row, "district", max_length=50),
        street=mask_phones_in(detail) or None,
        address=mask_phones_in(text(row, "address", max_length=400)),
        status=status,
        status_raw=status_raw,
        created_at=_required_time(moment(row, "created_at", required=True)),
        paid_at=moment(row, "paid_at"),
        shipped_at=moment(row, "shipped_at"),
        finished_at=moment(row, "finished_at"),
        room_id=text(row, "room_id", max_length=64),
        session_id=whole_number(row, "session_id", minimum=1),
        host=text(row, "host", max_length=100),
        traffic_source=choice(row, "traffic_source", TRAFFIC_SOURCES, default=TrafficSource.OTHER)[0],
        dealer_code=text(row, "dealer_code", max_length=32),
        is_simulated=flag(row, "is_simulated"),
    )
    if not (parsed.district or parsed.address or parsed.city or parsed.province or parsed.street):
        raise RowProblem("missing_field", "address", "the receiver address is required (province/city/district/street)")
    parsed.fingerprint = content_hash({k: v for k, v in vars(parsed).items() if k != "fingerprint"})
    return parsed


@dataclass
class AfterSaleRow:
    request_no: str
    order_no: str
    type: AfterSaleType
    reason_code: str | None
    reason_text: str | None
    description: str | None
    amount_fen: int
    status: AfterSaleStatus
    status_raw: str
    applied_at: datetime
    updated_at: datetime | None
    closed_at: datetime | None
    is_simulated: bool
    fingerprint: str = field(default="")


def parse_after_sale_row(raw: RawRow) -> AfterSaleRow:
    if "__error__" in raw:
        raise RowProblem("invalid_line", "", str(raw["__error__"]))
    row = canonical(raw, AFTER_SALE_COLUMNS)
    status, status_raw = choice(row, "status", AFTER_SALE_STATUSES)
    parsed = AfterSaleRow(
        request_no=_required(text(row, "request_no", required=True, max_length=64), "request_no"),
        order_no=_required(text(row, "order_no", required=True, max_length=64), "order_no"),
        type=choice(row, "type", AFTER_SALE_TYPES)[0],
        reason_code=text(row, "reason_code", max_length=32),
        reason_text=text(row, "reason_text", max_length=200),
        description=mask_phones_in(text(row, "description", max_length=2000)),
        amount_fen=money_fen(row, "amount_fen", "amount_yuan", required=False) or 0,
        status=status,
        status_raw=status_raw,
        applied_at=_required_time(moment(row, "applied_at", required=True)),
        updated_at=moment(row, "updated_at"),
        closed_at=moment(row, "closed_at"),
        is_simulated=flag(row, "is_simulated"),
    )
    parsed.fingerprint = content_hash({k: v for k, v in vars(parsed).items() if k != "fingerprint"})
    return parsed


def _required(value: str | None, name: str) -> str:
    if not value:
        raise RowProblem("missing_field", name, f"{name} is required")
    return value


def _positive(value: int | None, name: str) -> int:
    if value is None:
        raise RowProblem("missing_field", name, f"{name} is required")
    return value


def _required_int(value: int | None) -> int:
    assert value is not None  # money_fen(required=True) raised otherwise
    return value


def _required_time(value: datetime | None) -> datetime:
    assert value is not None  # moment(required=True) raised otherwise
    return value

"""Simulated live comments: authored templates per intent, filled with the shelf's own names.

The templates are written for this simulator (not taken from any data set) so that simulated
text never leaks evaluation data into training. Slots: ``{p}`` a name of the product (an alias,
its full name, or 这个/这款 while it is explained), ``{link}`` its link number as viewers write
it (3号链接, 链接3, 三号…), ``{spec}`` one of its SKU specs, ``{price}`` its live price in yuan,
``{colour}`` a colour, ``{other}`` another product on the shelf.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from livebridge.simulate.scenario import ShelfProduct
from livebridge.text.labels import Intent

__all__ = ["TEMPLATES", "CommentWriter", "WrittenComment"]

TEMPLATES: Final[dict[Intent, tuple[str, ...]]] = {
    "question": (
        "{p}多少钱", "{link}多少钱啊", "{link}还有吗", "{link}还有货吗", "{p}有几个颜色", "{p}尺寸多大",
        "{p}容量多大的", "{p}怎么用", "{p}好不好清洗", "{p}声音大不大", "{p}保修几年", "今天下单什么时候发货",
        "{p}几天能到", "{p}能开发票吗", "{p}费电吗", "{p}和{other}有啥区别", "{spec}是哪个颜色",
        "{p}内胆是什么材质", "{p}有赠品吗", "偏远地区包邮吗", "{p}一家三口够用吗", "{price}是到手价吗",
        "刚进来 现在讲的是几号", "{p}能预约吗", "{p}可以放洗碗机洗吗", "{link}是哪个", "{p}是正品吗",
    ),
    "purchase_intent": (
        "已拍", "拍了拍了", "已下单{p}", "{link}已拍", "拍了两个", "想要{p}", "{p}我要了", "给我妈也拍一个",
        "蹲{p}", "求上{link}", "上车上车", "冲冲冲", "刚拍了{spec}", "付款了 坐等发货", "等{link}补货",
        "抢到了", "{p}加购了 等开价", "买它", "{link}来一单",
    ),
    "demand": (
        "出个大号的吧", "{p}有没有粉色", "能不能便宜点", "希望{p}加个定时功能", "{p}要是有预约功能就好了",
        "能不能出个{colour}的", "下次上个大容量的", "希望出个迷你款 宿舍能用", "能不能多送个内胆",
        "{p}能不能做成可拆洗的", "再加点库存吧 根本抢不到", "多送几个滤网吧", "{p}能不能出个静音版",
        "希望有分期免息", "能不能加个童锁", "{link}能不能再便宜二十", "出个套装吧 一起买划算点",
        "线要是再长点就好了", "希望{p}能连手机APP",
    ),
    "complaint": (
        "上次买的{p}漏水", "物流太慢了", "客服不回消息", "收到的{p}有划痕", "用了一个月就坏了",
        "说好的赠品没收到", "退款一直不处理", "{p}声音太大了", "塑料味很大 散了好几天", "发错颜色了",
        "包装盒都压扁了", "安装师傅一直不来", "比旗舰店还贵", "上次的{p}按键失灵了", "催了三次还没发货",
        "质量一般 不值这个价",
    ),
    "praise": (
        "{p}真的好用", "我家{p}用了两年了 还很好", "{p}颜值好高", "回购第三次了", "主播讲得好清楚",
        "{p}性价比绝了", "已经推荐给同事了", "做出来的好香", "比我之前那个强多了", "{p}yyds",
        "{p}质量没话说", "包装很用心", "发货很快 第二天就到了", "上次买的{p}我妈超喜欢",
    ),
    "chitchat": (
        "主播好美", "哈哈哈", "来了来了", "打卡", "晚上好呀", "主播今天衣服好看", "刚下班", "又来了",
        "主播声音好好听", "第一次来", "666", "点赞走一波", "大家晚饭吃的啥", "主播辛苦了", "天天来报到",
        "哈哈哈笑死", "{p}我家也有一个", "主播几点下播", "外面下雨了",
    ),
    "spam": (
        "加V领优惠券", "私我有低价货源", "代购 全网最低 看主页", "兼职日结 加微信", "互关互粉",
        "点我头像领红包", "高价回收旧家电 私聊", "刷单返现 私我",
    ),
}

_COLOURS: Final = ("粉色", "奶白色", "黑色", "墨绿色", "蓝色", "香槟金", "浅灰色")
_CHINESE_NUMERALS: Final = "零一二三四五六七八九"
_PREFIXES: Final = ("主播", "姐妹们", "宝子们", "家人们", "老板", "主播主播")
_CHEERFUL_SUFFIXES: Final = ("😂", "😍", "🔥", "👍", "❤️", "[赞]", "[比心]", "[玫瑰]", "～", "!!", "哈哈", "啊啊啊")
_NEUTRAL_SUFFIXES: Final = ("🤔", "🙏", "～", "[疑问]", "啊", "呀", "😅")
_CROSS_SUFFIXES: Final = ("😡", "😤", "😓", "[流泪]", "[捂脸]", "!!", "无语", "🙄")
_SUFFIXES: Final[dict[Intent, tuple[str, ...]]] = {
    "question": _NEUTRAL_SUFFIXES, "demand": _NEUTRAL_SUFFIXES, "complaint": _CROSS_SUFFIXES,
    "purchase_intent": _CHEERFUL_SUFFIXES, "praise": _CHEERFUL_SUFFIXES, "chitchat": _CHEERFUL_SUFFIXES,
}
_QUESTION_ENDINGS: Final = ("？", "?", "", "？？", "呢")
_QUESTION_ENDING_WEIGHTS: Final = (0.45, 0.15, 0.28, 0.07, 0.05)
_PRODUCT_SLOTS: Final = frozenset({"p", "link", "spec", "price"})


@dataclass(frozen=True, slots=True)
class WrittenComment:
    text: str
    intent: Intent
    template: str  # "<intent>:<index>", to count the variety of what was written
    link_number: int | None  # the product the text names, if it names one


def _chinese_number(number: int) -> str:
    if number < 10:
        return _CHINESE_NUMERALS[number]
    if number < 20:
        return "十" + (_CHINESE_NUMERALS[number % 10] if number % 10 else "")
    if number < 100:
        return _CHINESE_NUMERALS[number // 10] + "十" + (_CHINESE_NUMERALS[number % 10] if number % 10 else "")
    return str(number)


def _slots_of(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


class CommentWriter:
    """Writes one comment at a time; all randomness comes from the ``rng`` it is given."""

    def __init__(self, shelf: Sequence[ShelfProduct], rng: random.Random) -> None:
        self._shelf = tuple(shelf)
        self._rng = rng
        self._slots = {intent: tuple(_slots_of(t) for t in templates) for intent, templates in TEMPLATES.items()}

    def write(self, intent: Intent, product: ShelfProduct, *, is_explained: bool) -> WrittenComment:
        """A comment of ``intent``; ``product`` is the one it mentions if its template names one."""
        rng = self._rng
        templates = TEMPLATES[intent]
        index = rng.randrange(len(templates))
        slots = self._slots[intent][index]
        values = {name: self._fill(name, product, is_explained) for name in slots}
        text = templates[index].format_map(values)
        text = self._decorate(text, intent)
        link_number = product.link_number if slots & _PRODUCT_SLOTS else None
        return WrittenComment(text, intent, f"{intent}:{index}", link_number)

    def _fill(self, slot: str, product: ShelfProduct, is_explained: bool) -> str:
        rng = self._rng
        if slot == "p":
            if is_explained and rng.random() < 0.35:
                return rng.choice(("这个", "这款"))
            return rng.choice(product.aliases) if product.aliases and rng.random() < 0.8 else product.name
        if slot == "link":
            return self._link_reference(product.link_number)
        if slot == "spec":
            return rng.choice([sku.spec or sku.code for sku in product.skus])
        if slot == "price":
            fen = product.unit_price_fen(rng.choice(product.skus))
            return f"{fen // 100}" if fen % 100 == 0 else f"{fen / 100:.2f}"
        if slot == "colour":
            return rng.choice(_COLOURS)
        if slot == "other":
            others = [other for other in self._shelf if other is not product] or [product]
            chosen = rng.choice(others)
            return rng.choice(chosen.names)
        raise KeyError(slot)

    def _link_reference(self, number: int) -> str:
        """The ways viewers write a link number; 3号链接 is the most common."""
        return self._rng.choice((
            f"{number}号链接", f"{number}号链接", f"{number}号", f"链接{number}", f"{_chinese_number(number)}号链接",
            f"{number}号宝贝",
        ))

    def _decorate(self, text: str, intent: Intent) -> str:
        """Punctuation, a form of address and emoji that fit the mood; spam comes bare."""
        rng = self._rng
        suffixes = _SUFFIXES.get(intent)
        if suffixes is None:
            return text
        if intent == "question":
            text += rng.choices(_QUESTION_ENDINGS, _QUESTION_ENDING_WEIGHTS)[0]
        if rng.random() < 0.15:
            text = rng.choice(_PREFIXES) + ("，" if rng.random() < 0.5 else " ") + text
        if rng.random() < 0.3:
            text += rng.choice(suffixes)
        return text.strip()

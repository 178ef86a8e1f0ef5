"""Keyword rules ("cues") over normalised text, used as features, never as the classifier.

Each cue is one 0/1 column next to the character n-grams, so the models learn how much to trust
it: 「真的假的」 fires the authenticity cue but is chit-chat, and the n-grams around it tell. As
weak labels the rules did not help: keyword-labelled reviews (as complaint/praise) and
keyword-mapped ABSA aspect terms (as aspect labels) both lowered or left unchanged the
cross-validated scores on the authored train file, as the research note predicts once about a
thousand gold labels exist (docs/nlp.md).

The patterns work on the output of ``normalize`` (simplified, lower case, half-width).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from livebridge.text.labels import ASPECTS, Aspect

__all__ = ["CUE_FINGERPRINT", "CUE_NAMES", "cue_matrix"]

ASPECT_CUES: Final[dict[Aspect, str]] = {
    "size": (
        r"尺码|尺吗|尺马|码数|码子|尺寸|大小|多大|偏大|偏小|大码|小码|均码|加大|加肥|加长|[0-9]+码|[smlx]码|xs|xl"
        r"|长度|裤长|衣长|袖长|袖子|腰围|胸围|肩宽|头围|多长|多高|多宽|多厚|多重|重量|容量|几升|[0-9.]+升|毫升|[0-9]+ml"
        r"|多少克|克数|净含量|分量|份量|合身|显瘦|显胖|穿不上|穿不下|挤脚|顶脚|磨脚|大一码|小一码|几码|什么码|啥码"
        r"|宽松|修身|斤穿|斤能穿|寸|个子|身高|体重"
    ),
    "colour": (
        r"颜色|色号|色差|配色|色系|[黑白红黄蓝绿紫粉灰棕橙青金银]色|米色|杏色|卡其|藏青|驼色|咖啡色|奶白|豆沙|显白|显黑"
        r"|黄皮|黑皮|白皮|色儿|试色|渐变|透明款|马卡龙|墨绿|雾霾蓝"
    ),
    "price": (
        r"多少钱|多钱|多少米|多少前|几多钱|价格|价钱|价位|啥价|什么价|几块|块钱|[0-9]+块|[0-9]+元|便宜|贵|优惠|券|满减"
        r"|打折|折扣|[0-9一二三四五六七八九]折|秒杀|福利价|到手|划算|性价比|值|赠品|送的|小样|红包|分期|花呗|降价"
        r"|涨价|原价|最低价|白菜价|实惠|省钱|差价|半价|买一送一|专属价|会员价|砍一刀|福袋"
    ),
    "quality": (
        r"质量|质亮|品质|做工|品控|耐用|耐不耐|结实|坏了|坏的|瑕疵|次品|线头|起球|缩水|掉色|开胶|开线|变形|异味|怪味"
        r"|味道|好吃|难吃|好恰|口感|新鲜|过期|保质期|生产日期|临期|发霉|虫|甜|咸|辣|酸|正宗|嚼劲|哈喇|掉涂层|生锈"
    ),
    "material": (
        r"材质|材料|面料|料子|纯棉|全棉|含棉|棉|真皮|羊毛|羊绒|鸭绒|鹅绒|充绒|含绒|绒|真丝|蚕丝|冰丝|涤纶|不锈钢"
        r"|塑料|玻璃|硅胶|实木|板材|成分|配料|添加|防腐剂|香精|酒精|食品级|pu|皮革|网面|内胆|鞋底|填充|烟酰胺|硅油"
    ),
    "function": (
        r"功能|效果|好用|好使|管用|有用|没用|卵用|续航|电池|充电|快充|噪音|静音|声音|吵|吸力|功率|防水|降噪|蓝牙"
        r"|延迟|加热|保温|保湿|补水|控油|遮瑕|持妆|脱妆|卡粉|美白|祛痘|淡斑|防晒|定时|预约|自动|智能|像素|拍照|内存"
        r"|卡顿|卡不卡|流畅|信号|风力|保暖|暖和|抗皱|除螨|闷痘|拔干|沾杯|留香|音质|费电|耗电|防滑|速干|护眼"
    ),
    "packaging": (
        r"包装|礼盒|盒子|箱子|纸箱|外箱|手提袋|密封|真空|气泡膜|漏液|漏了|洒了|压扁|压坏|独立装|小包装|简装|散装|瓶子"
        r"|瓶盖|单片装|替换装|贺卡|保密"
    ),
    "logistics": (
        r"发货|发顺丰|快递|物流|到货|送到|几天到|多久到|包邮|运费|顺丰|京东|中通|圆通|韵达|邮政|偏远|签收|驿站|配送"
        r"|送货|寄|预售|现货|次日达|冷链|发错|漏发|少发|新疆|西藏|什么时候到|啥时候到|多久能到|几天能到"
    ),
    "after_sales": (
        r"售后|退货|退款|退换|换货|换码|能退|能换|退差价|无理由|运费险|保修|质保|延保|维修|修理|返修|客服|投诉|价保"
        r"|上门取件|补发|理赔|包换|以旧换新"
    ),
    "authenticity": (
        r"正品|假货|假的|高仿|仿品|山寨|专柜|防伪|官方|旗舰店|授权|原装|国行|水货|翻新|溯源|验货|验过|真假|保真|三无"
        r"|批号|序列号|质检报告|一比一|正规渠道|真的是|是真的"
    ),
    "usage_installation": (
        r"怎么用|咋用|肿么用|如何使用|使用方法|用法|安装|装不上|怎么装|咋装|装好|说明书|教程|演示|打孔|清洗|怎么洗|咋洗"
        r"|机洗|手洗|水洗|洗碗机|电磁炉|燃气灶|微波炉|烤箱能|敏感肌|孕妇|孕期|小孩能|孩子能|老人能|油皮|干皮|混油|油痘"
        r"|肤质|几岁|能用吗|能用不|能用么|适配|兼容|配对|配网|连蓝牙|连手机|冲泡|怎么吃|解冻|上手|操作|搭配|怎么调"
    ),
}

INTENT_CUES: Final[dict[str, str]] = {
    "question_mark": r"\?|[吗么嘛呢咩][!~.]*$|[^不\n]不[~.]*$|没[~.]*$",
    "question_word": (
        r"多少|几|什么|神马|啥|咋|怎么|肿么|怎样|如何|哪|有没有|有木有|有没得|能不能|可不可以|会不会|是不是|是否|要不要"
        r"|好不好|行不行|请问|问一下|求问|谁知道|区别|不会.*吧|应该.*吧"
    ),
    "purchase": (
        r"拍了|已拍|已派|拍啦|拍下|下单|付款|付了|上车|冲|链接|连接|链截|小黄车|购物车|加购|入手|已入|入了|抢到|蹲|^[1+]+$"
        r"|扣1|要了|我要|给我来|来一|留一|囤|屯|买了|锁单|定金|尾款"
    ),
    "demand": (
        r"希望|建议|能不能出|能出|出个|出一|求出|要是有|就好了|就完美|返场|补货|上新|加个|多上|下次|下一代|多出|反馈"
        r"|再便宜|便宜点|再.*点吧|求上|求放|求发"
    ),
    "complaint": (
        r"差|垃圾|辣鸡|坑|骗|退款|投诉|差评|假货|坏|破了|烂|慢|不回|没人|不理|失望|后悔|避雷|别买|举报|上当|拉胯|拉跨"
        r"|难用|难吃|不行|不值|离谱|气死|无语|维权|一般"
    ),
    "praise": (
        r"好看|好康|喜欢|稀饭|爱了|满意|不错|推荐|回购|好用|好吃|棒|赞|yyds|绝绝子|绝了|值了|超值|好评|漂亮|美|点赞"
        r"|真香|宝藏|杠杠|巴适|给力|惊喜|放心|谢谢"
    ),
    "double_negation": r"不是不|没有不|没什么不|不会不|没有比|挑不出|无可挑剔|没毛病|没得说",
    "soft_negation": r"不太|不怎么|没那么|没有.*那么|没有想象|不算|不咋|一般",
    "spam": (
        r"加 ?[v微威薇q]|[+➕] ?[v微]|vx|wx|v信|微信|威信|薇信|qq|扣扣|企鹅|私我|私信|私聊|主页|头像|昵称|简介|兼职"
        r"|日结|刷单|返利|返现|代购|代理|招聘|贷款|网贷|下款|征信|<url>|<phone>|<email>|群号|进群|加群|互粉|互关|回关"
        r"|涨粉|赚钱|月入|稳赚|一比一|高仿|中奖|口令|助力|砍一刀|我直播间|低价出|回收"
    ),
    "greeting": (
        r"^(?:来了|来啦|来咯|报道|报到|打卡|签到|晚上好|早上好|中午好|大家好|哈喽|嗨|hello|hi|你好|您好|晚安|拜拜)"
    ),
    "laughter": r"哈哈|嘻嘻|嘿嘿|呵呵|hhh|笑死|[6]{3}|😂|🤣",
    "host": r"主播|小姐姐|小哥哥|老板|助理",
}

CUE_NAMES: Final[tuple[str, ...]] = (
    *(f"aspect:{aspect}" for aspect in ASPECTS),
    *(f"intent:{name}" for name in INTENT_CUES),
    "link_number",
)
# Recorded in the model manifest: a model trained with other patterns is refused, not misread.
CUE_FINGERPRINT: Final = hashlib.sha256(
    "\n".join([*ASPECT_CUES.values(), *INTENT_CUES.values()]).encode()
).hexdigest()[:16]
# MULTILINE: a batch is scanned as one text, one comment per line (normalised text has no line
# breaks, and no pattern crosses one: they use " " for a space, never \s).
_PATTERNS: Final = tuple(
    re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    for pattern in (*(ASPECT_CUES[aspect] for aspect in ASPECTS), *INTENT_CUES.values())
)


def cue_matrix(normalized_texts: Sequence[str], link_numbers: Sequence[int | None]) -> npt.NDArray[np.float32]:
    """One row per text, one 0/1 column per name in ``CUE_NAMES``.

    Each pattern scans the whole batch joined by line breaks in one pass (a regex call per text and
    pattern costs several times more); a match belongs to the line of its last character.
    """
    matrix = np.zeros((len(normalized_texts), len(CUE_NAMES)), dtype=np.float32)
    line_ends = np.cumsum([len(text) + 1 for text in normalized_texts])
    joined = "\n".join(normalized_texts)
    for column, pattern in enumerate(_PATTERNS):
        last_characters = [match.end() - 1 for match in pattern.finditer(joined)]
        matrix[np.searchsorted(line_ends, last_characters, side="right"), column] = 1.0
    matrix[:, -1] = [number is not None for number in link_numbers]
    return matrix


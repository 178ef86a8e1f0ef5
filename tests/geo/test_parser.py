"""Address parsing: normalisation, each tolerance the parser promises, and its hard cases."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livebridge.geo import AddressParser, ParsedAddress, ParseWarning, default_parser


@pytest.fixture(scope="module")
def parser() -> AddressParser:
    return default_parser()


def district_code(parser: AddressParser, text: str) -> str | None:
    return parser.parse(text).district_code


@pytest.mark.parametrize(
    ("text", "district", "rest"),
    [
        ("浙江省杭州市西湖区文三路１３８号", "330106", "文三路138号"),  # full-width digits
        ("浙江省_杭州市?西湖区  文三路", "330106", "文三路"),
        ("浙江省，杭州市：西湖区 、文三路", "330106", "文三路"),
        ("\ufeff浙江省杭州市\u200b西湖区文三路", "330106", "文三路"),  # BOM, zero-width space
        ("中国浙江省杭州市西湖区文三路", "330106", "文三路"),
        ("中华人民共和国北京市东城区东华门大街", "110101", "东华门大街"),
        ("北京市市辖区朝阳区建国路", "110105", "建国路"),  # region-picker placeholder
        ("浙江省-台州市-路桥区马铺路", "331004", "马铺路"),
        ("廣東省廣州市天河區體育西路", "440106", "体育西路"),  # traditional characters
        ("陝西省咸陽市乾縣", "610424", ""),  # 乾 stays 乾 in 乾县
    ],
)
def test_normalisation(parser: AddressParser, text: str, district: str, rest: str) -> None:
    parsed = parser.parse(text)
    assert (parsed.district_code, parsed.rest) == (district, rest)


@pytest.mark.parametrize(
    "text",
    [
        "张三13812345678浙江省杭州市西湖区文三路",
        "张三 +86 138-1234-5678 浙江省杭州市西湖区文三路",
        "浙江省杭州市西湖区文三路 0571-88886666",
        "收货人:李四 电话:15900001111 浙江省杭州市西湖区文三路",
    ],
)
def test_phone_numbers_and_names_are_dropped(parser: AddressParser, text: str) -> None:
    parsed = parser.parse(text)
    assert parsed.district_code == "330106"
    assert parsed.rest.startswith("文三路")
    assert not any(digit in parsed.rest for digit in "0123456789")


@pytest.mark.parametrize(
    ("text", "province", "city", "district"),
    [
        ("萧山区宁围街道", "330000", "330100", "330109"),  # district alone
        ("杭州市萧山区宁围街道", "330000", "330100", "330109"),  # no province
        ("浙江省萧山区宁围街道", "330000", "330100", "330109"),  # no city
        ("浙江省义乌市稠城街道", "330000", "330700", "330782"),  # county-level city, no prefecture
        ("湖北省仙桃市沔阳大道", "420000", "429004", "429004"),  # under its province directly
        ("广东省东莞市长安镇", "440000", "441900", "441900"),  # prefecture without districts
        ("杭州市莫干山路", "330000", "330100", None),  # city alone
        ("浙江省", "330000", None, None),
    ],
)
def test_missing_levels(
    parser: AddressParser, text: str, province: str, city: str | None, district: str | None
) -> None:
    parsed = parser.parse(text)
    assert (parsed.province_code, parsed.city_code, parsed.district_code) == (province, city, district)


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("内蒙古呼和浩特市赛罕区", "150105"),
        ("内蒙呼和浩特赛罕区", "150105"),
        ("内蒙古自治区包头市昆都仑区", "150203"),
        ("广西南宁青秀区", "450103"),
        ("广西省南宁市青秀区", "450103"),
        ("宁夏银川兴庆区", "640104"),
        ("新疆乌鲁木齐天山区", "650102"),
        ("西藏拉萨城关区", "540102"),
        ("宁波象山丹城", "330225"),
        ("柯桥华舍东周小区", "330603"),
        ("萧山宁围街道", "330109"),
        ("宁波海曙柳汀街", "330203"),
        ("绍兴柯桥区鉴湖路", "330603"),
        ("红河州个旧市", "532501"),
        ("恩施州利川市", "422802"),
    ],
)
def test_short_forms(parser: AddressParser, text: str, district: str) -> None:
    assert district_code(parser, text) == district


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("北京市朝阳区建国路", "110105"),
        ("北京朝阳区建国路", "110105"),
        ("上海浦东新区张江路", "310115"),
        ("上海市浦东新区张江路", "310115"),
        ("上海浦东张江路", "310115"),
        ("重庆市渝中区解放碑", "500103"),
        ("重庆渝北区", "500112"),
        ("重庆市石柱土家族自治县", "500240"),
        ("天津市河西区友谊路", "120103"),
    ],
)
def test_municipalities(parser: AddressParser, text: str, district: str) -> None:
    parsed = parser.parse(text)
    assert parsed.district_code == district
    # The city of a municipality is the municipality itself, never "市辖区".
    assert parsed.city_code == parsed.province_code == district[:2] + "0000"


class TestAmbiguity:
    def test_district_alone_is_not_guessed(self, parser: AddressParser) -> None:
        parsed = parser.parse("朝阳区建国路88号")
        assert parsed.district_code is None
        assert parsed.province_code is None
        assert ParseWarning.AMBIGUOUS_DISTRICT in parsed.warnings
        assert parsed.district_candidates == ("110105", "220104")
        assert parsed.confidence == 0
        assert parsed.rest == "建国路88号"

    @pytest.mark.parametrize(
        ("text", "district"),
        [
            ("北京市朝阳区建国路", "110105"),
            ("吉林长春朝阳区红旗街", "220104"),
            ("长春市朝阳区红旗街", "220104"),
            ("吉林省长春市朝阳区", "220104"),
            ("浙江宁波江北区", "330205"),
            ("重庆江北区观音桥", "500105"),
        ],
    )
    def test_context_decides(self, parser: AddressParser, text: str, district: str) -> None:
        parsed = parser.parse(text)
        assert parsed.district_code == district
        assert not parsed.warnings

    def test_shared_levels_are_kept(self, parser: AddressParser) -> None:
        # Both 鼓楼区 of Jiangsu (南京, 徐州): the province is certain, the city is not.
        parsed = parser.parse("江苏省鼓楼区中山路")
        assert parsed.province_code == "320000"
        assert (parsed.city_code, parsed.district_code) == (None, None)
        assert parsed.district_candidates == ("320106", "320302")

    @pytest.mark.parametrize(
        ("text", "district"),
        [
            ("江北区洪塘街道洪达路", "330205"),  # 洪塘 is a street of Ningbo's 江北区
            ("普陀区沈家门新街", "330903"),  # 沈家门: Zhoushan, not Shanghai
            ("普陀区舟山朱家尖", "330903"),  # the city named after the district
        ],
    )
    def test_town_or_later_city_decides(self, parser: AddressParser, text: str, district: str) -> None:
        assert district_code(parser, text) == district

    def test_city_of_the_same_name(self, parser: AddressParser) -> None:
        parsed = parser.parse("辽宁省朝阳市双塔区")
        assert (parsed.city_code, parsed.district_code) == ("211300", "211302")

    def test_short_name_of_two_districts(self, parser: AddressParser) -> None:
        # 象山区 (Guilin) and 象山县 (Ningbo); 丹城 names neither's town.
        parsed = parser.parse("象山丹城")
        assert parsed.district_code is None
        assert ParseWarning.AMBIGUOUS_DISTRICT in parsed.warnings


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("杭州市江干区庆春路", "330102"),  # 江干区 → 上城区 (2021)
        ("杭州市江干区下沙文渊路", "330114"),  # …but 下沙 went to 钱塘区
        ("杭州市下城区武林路", "330105"),  # 下城区 → 拱墅区
        ("杭州余杭区乔司街道", "330113"),  # 乔司 moved from 余杭区 to 临平区
        ("杭州萧山区前进街道", "330114"),  # and 前进 from 萧山区 to 钱塘区…
        ("大江东义蓬街道", "330114"),  # an informal name, now 钱塘区
        ("宁波市江东区百丈路", "330212"),  # 江东区 → 鄞州区 (2016)
        ("宁波江东百丈路", "330212"),
        ("绍兴县柯桥街道", "330603"),  # 绍兴县 → 柯桥区 (2013)
        ("上海市闸北区", "310106"),  # 闸北区 → 静安区 (2015)
        ("深圳龙华新区大浪", "440309"),
    ],
)
def test_historical_names(parser: AddressParser, text: str, district: str) -> None:
    parsed = parser.parse(text)
    assert parsed.district_code == district
    assert ParseWarning.HISTORICAL_NAME_MAPPED in parsed.warnings
    assert 0 < parsed.confidence < 1


def test_split_follows_the_town_not_a_street(parser: AddressParser) -> None:
    parsed = parser.parse("杭州萧山区前进路1号")  # …but a 前进路 says nothing about it
    assert (parsed.district_code, parsed.warnings) == ("330109", ())


def test_todays_name_beats_an_abolished_one(parser: AddressParser) -> None:
    assert district_code(parser, "双桥区人民路") == "130802"  # 承德; 重庆's 双桥区 is now 大足区
    parsed = parser.parse("重庆双桥区人民路")
    assert parsed.district_code == "500111"
    assert ParseWarning.HISTORICAL_NAME_MAPPED in parsed.warnings


def test_province_names_win(parser: AddressParser) -> None:
    # 海南 also shortens 海南藏族自治州 and 乌海's 海南区; 吉林 the city 吉林市.
    for text, province in [("海南", "460000"), ("吉林", "220000"), ("河南", "410000")]:
        parsed = parser.parse(text)
        assert (parsed.province_code, parsed.city_code, parsed.warnings) == (province, None, ())


def test_suffix_changes_are_followed(parser: AddressParser) -> None:
    assert district_code(parser, "杭州市富阳市金桥路") == "330111"  # 富阳区 since 2014
    assert district_code(parser, "台州玉环县坎门") == "331083"  # 玉环市 since 2017


def test_historical_city(parser: AddressParser) -> None:
    parsed = parser.parse("湖北省襄樊市樊城区")
    assert (parsed.city, parsed.district_code) == ("襄阳市", "420606")


class TestRepeatedAndConflicting:
    def test_identical_repeat(self, parser: AddressParser) -> None:
        parsed = parser.parse("福建省泉州市惠安县福建省泉州市惠安县东园镇东园街")
        assert parsed.district_code == "350521"
        assert parsed.rest == "东园镇东园街"
        assert not parsed.warnings

    def test_restated_address_wins(self, parser: AddressParser) -> None:
        parsed = parser.parse("浙江省台州市仙居县中国浙江省嘉兴市桐乡市梧桐街道")
        assert parsed.district_code == "330483"
        assert parsed.rest == "梧桐街道"
        assert ParseWarning.CONFLICTING_DIVISIONS in parsed.warnings

    def test_a_city_in_the_detail_is_no_conflict(self, parser: AddressParser) -> None:
        parsed = parser.parse("上海市黄浦区温州商会大厦")
        assert (parsed.district_code, parsed.warnings, parsed.rest) == ("310101", (), "温州商会大厦")

    def test_wrong_city(self, parser: AddressParser) -> None:
        parsed = parser.parse("宁波市萧山区宁围街道")
        assert parsed.district_code == "330109"
        assert ParseWarning.CONFLICTING_DIVISIONS in parsed.warnings
        assert parsed.confidence <= 0.5


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("杭州市中山北路100号", None),  # 中山 as a street
        ("上海宁国路100号", None),  # not 海宁, not 宁国
        ("东莞市长安镇", "441900"),  # not 西安's 长安区
        ("义乌福田市场D区", "330782"),  # a market, not 深圳 福田区
        ("桐庐市青山工业园区", "330122"),
        ("鹿城镇安徽省阜南县柴集路", "341225"),  # 镇安 overlaps 安徽
        ("柯桥东区八楼", "330603"),  # not 桥东区
        ("苍南县灵溪镇", "330327"),  # not 南县
        ("益阳市南县人民路", "430921"),  # not 青岛's 市南区 as "市南县"
        ("杭州市西湖区余杭塘路", "330106"),  # 余杭 inside a street name
        ("青岛市市北区杭州路10号", "370203"),  # 杭州 as a street
        ("台州路桥自动化设备市场", "331004"),  # 路桥 after 台州 is a district, not a road
    ],
)
def test_names_inside_other_words(parser: AddressParser, text: str, district: str | None) -> None:
    assert district_code(parser, text) == district


def test_district_from_town(parser: AddressParser) -> None:
    parsed = parser.parse("杭州下沙文渊路")
    assert parsed.district_code == "330114"
    assert ParseWarning.DISTRICT_FROM_TOWN in parsed.warnings
    assert parsed.rest == "下沙文渊路"


def test_rest_keeps_a_prefix_glued_to_the_address(parser: AddressParser) -> None:
    parsed = parser.parse("春华街道天津市河东区十一经路")
    assert (parsed.district_code, parsed.rest) == ("120102", "春华街道十一经路")


@pytest.mark.parametrize("text", ["", "   ", "???", "_-_", "12345", "hello world", "🙂🙂", "\n", "市辖区"])
def test_empty_and_garbage(parser: AddressParser, text: str) -> None:
    parsed = parser.parse(text)
    assert (parsed.province_code, parsed.city_code, parsed.district_code) == (None, None, None)
    assert parsed.confidence == 0


def test_long_input(parser: AddressParser) -> None:
    parsed = parser.parse("浙江省杭州市西湖区" + "文三路" * 5000)
    assert parsed.district_code == "330106"


def test_confidence(parser: AddressParser) -> None:
    assert parser.parse("浙江省杭州市萧山区").confidence == pytest.approx(0.98)
    assert parser.parse("萧山区").confidence == pytest.approx(0.9)
    assert parser.parse("萧山").confidence == pytest.approx(0.8)


def test_parse_many_keeps_order(parser: AddressParser) -> None:
    texts = ["萧山区", "", "北京市朝阳区", "朝阳区", "宁波海曙"]
    assert [parsed.district_code for parsed in parser.parse_many(texts)] == [
        "330109",
        None,
        "110105",
        None,
        "330203",
    ]


def test_result_is_frozen_and_serialisable(parser: AddressParser) -> None:
    parsed = parser.parse("北京市朝阳区建国路")
    with pytest.raises(AttributeError):
        parsed.district_code = "x"  # type: ignore[misc]
    assert msgspec.json.decode(msgspec.json.encode(parsed), type=ParsedAddress) == parsed


def test_default_parser_is_built_once() -> None:
    assert default_parser() is default_parser()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("北京市朝阳区吉林长春浙江省杭州萧山江北区中国_?1386 -路镇"), max_size=40))
def test_any_text_gives_a_consistent_result(text: str) -> None:
    parsed = default_parser().parse(text)
    codes = [parsed.province_code, parsed.city_code, parsed.district_code]
    present = [code for code in codes if code is not None]
    assert all(len(code) == 6 and code.isdigit() for code in present)
    assert all(code[:2] == present[0][:2] for code in present)
    if parsed.district_code is not None:
        assert parsed.province_code is not None
        assert parsed.city_code is not None
        assert 0 < parsed.confidence <= 1

"""Chinese addresses → GB/T 2260 province, city and district codes.

``default_parser().parse("浙江杭州萧山区宁围街道")`` gives 浙江省 330000, 杭州市 330100, 萧山区 330109
and the rest, 宁围街道. See ``docs/geo.md``.
"""

from livebridge.geo.parser import AddressParser, ParsedAddress, ParseWarning, default_parser

__all__ = ["AddressParser", "ParseWarning", "ParsedAddress", "default_parser"]

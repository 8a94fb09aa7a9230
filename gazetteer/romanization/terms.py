"""The word lists the romanization divides names by — generic terms of human and natural features (GB/T 38207-2019
Annexes A and B), building and enterprise generics (1984 rules, rule 14), unit, street and zone generics, the
modifiers joined or written apart (GB/T 16159-2012 6.2.2.2; 1984 rule 2), numerals (1984 rule 7) — each with the
clause it comes from."""

from __future__ import annotations

import re

# Generic terms, each one word (GB/T 38207-2019 Annex A human, Annex B natural entities); longest wins (自治旗 over 旗).
# 村民委员会/居民委员会 as the national place-name database writes them (下堡村民委员会 Xiabao Cunminweiyuanhui).
HUMAN_GENERICS = (
    "村民委员会 居民委员会 自治区 自治州 自治县 自治旗 开发区 示范区 林场 农场 牧场 园区 地区 街道 苏木 嘎查 社区"
    " 大街 大道 马路 公路 环路 胡同 广场 公园 省 市 盟 县 旗 区 镇 乡 村 路 街 巷 弄 条 道 桥 渠"
).split()


NATURAL_GENERICS = "群岛 海峡 高原 高地 水库 运河 淖尔 山 岭 峰 江 河 湖 海 湾 峡 岛 滩 沟".split()


# 1984 rule 14 (names of buildings, sites, memorials and enterprises that serve as place names): they are divided
# like place names, their generic term a word of its own (月亮山/种羊场, 北京/工人/体育馆,
# 二七/烈士/纪念碑, 浙江/省/测绘局, 费/县/汽车站, 郑州/市/玻璃厂). The generic terms of the rule's examples (first
# six), then common ones of the same kind (our choice, not a list of the rule).
BUILDING_GENERICS = "种羊场 体育馆 纪念碑 测绘局 汽车站 玻璃厂 火车站 体育场 博物馆 图书馆 纪念馆 医院 机场".split()


GENERIC_TERMS = tuple(HUMAN_GENERICS + NATURAL_GENERICS + BUILDING_GENERICS)


GENERIC_SET = frozenset(GENERIC_TERMS)


GENERIC_LENGTHS = sorted({len(g) for g in GENERIC_TERMS}, reverse=True)


# 1984 rule 3 / GB/T 16159-2012 6.2.2: village names one word; 社区 stays a generic term (GB/T 38207-2019).
VILLAGE_GENERICS = ("村", "嘎查")


# GB/T 16159-2012 6.2.2, 1984 rule 2: a one-syllable modifier of these one-syllable generics is joined to the
# generic (景山后街 Jingshan Houjie, 潮白新河 Chaobai Xinhe, 鄂托克前旗 Otog Qianqi). A shape word may follow a
# one-syllable specific (南小街 Nan Xiaojie); a direction word needs a specific of two or more syllables before it
# (湖北路 stays Hubei Lu).
MODIFIABLE_GENERICS = frozenset("街路巷河旗")


SHAPE_MODIFIERS = "大小新老直横"


DIRECTION_MODIFIERS = "东西南北前后左右中"


# 1984 rule 2: modifiers of two or more syllables of a zone's or park's generic are words of their own
# (苏里格经济开发区 Sulige Jingji Kaifaqu, 鄂尔多斯高新技术产业开发区 Ordos Gaoxin Jishu Chanye Kaifaqu; the national
# place-name database: 十文字森林公园 Shiwenzi Senlin Gongyuan).
# The same in 1984 rule 14's names: 北京/工人/体育馆, 二七/烈士/纪念碑.
ZONE_GENERICS = frozenset(("开发区", "园区", "示范区", "公园", *BUILDING_GENERICS))


ZONE_MODIFIERS = tuple("高新 技术 产业 经济 生态 物流 空港 工业 科技 森林 国际 工人 烈士".split())


# 1984 rule 14: a unit's name at the end of a building's or enterprise's specific keeps its generic as a word
# (浙江/省/测绘局 Zhejiang Sheng Cehuiju, 费/县/汽车站 Fei Xian Qichezhan, 郑州/市/玻璃厂 Zhengzhou Shi Bolichang).
UNIT_GENERICS = frozenset(("自治区", "自治州", "自治县", "自治旗", "省", "市", "县", "区", "旗", "盟"))


# A unit name nested at the head of a longer name keeps its own generic (鄂尔多斯市 + 高新技术产业园区).
NESTED_GENERICS = ("自治区", "市", "旗", "盟")


NESTED_ZONES = ("开发区", "园区")


# 1984 rule 7: street ordinals in Arabic digits (二马路 2 Malu, 经五路 Jing5 Lu, 三环路 3 Huanlu, 第九弄 Di-9 Long).
# 条 is the generic of Beijing's numbered lanes (东四十二条 Dongsi 12 Tiao, 1984 rule 7).
STREET_GENERICS = frozenset(("路", "街", "巷", "弄", "条", "马路", "环路", "大街", "胡同"))


# GB 3304-91 in place names: a nationality's name is a word, 族 joined (Zhuangzu); an autonomous unit's generic may
# follow the name without 族 (鄂伦春自治旗 Oroqen Zizhiqi, 新疆维吾尔自治区).
AUTONOMY_GENERICS = frozenset(("自治区", "自治州", "自治县", "自治旗"))


ORDINALS = {ch: str(i) for i, ch in enumerate("零一二三四五六七八九十") if i}


# 1984 rule 2 (广安门/北滨河/路, 广渠/南水关/胡同): a one-syllable direction word inside a street's specific is joined
# to the part it modifies, and the part of two or more syllables before it is a word of its own. Only in street names:
# elsewhere 东/西/南/北 inside a name is mostly part of a name (铁东区, 库木西力克乡, 陕西华山), measured on the
# 41,352 township names of the NBS list.
INNER_DIRECTIONS = "东西南北"


DIGITS = "零一二三四五六七八九"


ASCII_DIGIT = re.compile("[0-9]")


DIGIT_RUN = re.compile("([0-9]+)")


TONE_MARKS = {"\u0304", "\u0301", "\u030c", "\u0300"}

"""Readings that depend on the place (堡 bǔ / bǎo / pù) and erhua, from data/place_readings.csv, and names of
nationalities (GB 3304-91); each expected form is printed in the cited source (1984 rules, rules 8 and 12; 普通话异读词
审音表 1985; the national place-name database; 中国测绘科学研究院 2000)."""

from __future__ import annotations

import csv

import pytest

from gazetteer.romanization.lexicon import PLACE_READINGS_PATH
from gazetteer.romanization.service import pinyin_key, romanize


def place_readings() -> list[dict[str, str]]:
    """The rows of the place-readings table."""
    with PLACE_READINGS_PATH.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_place_reading_names_its_place_and_source() -> None:
    rows = place_readings()
    assert rows and len({r["phrase"] for r in rows}) == len(rows)
    for row in rows:
        assert row["where"].strip() and row["source"].strip(), row
        # One syllable a character, except an erhua: 儿 is written r on the syllable before it (1984 rule 12).
        erhua = row["phrase"].count("儿")
        assert len(row["reading"].split()) == len(row["phrase"]) - erhua, row
        assert sum(s.endswith("r") for s in row["reading"].split()) >= erhua, row


@pytest.mark.parametrize(
    ("name", "toned", "source"),
    [
        ("十里堡", "Shílǐpù", "1984 rule 8: 十里堡（北京）Shílǐpù"),
        ("大黄堡", "Dàhuángbǎo", "1984 rule 8: 大黄堡（天津）Dàhuángbǎo"),
        ("吴堡", "Wúbǔ", "1984 rule 8: 吴堡（陕西）Wúbǔ"),
        ("瓦窑堡", "Wǎyáobǔ", "审音表 1985: 堡 bǔ 瓦窑堡"),
        ("三十里堡", "Sānshílǐpù", "人民日报海外版 2023-04-08: 三十里堡 pù"),
    ],
)
def test_bu_bao_pu_by_place(name: str, toned: str, source: str) -> None:
    result = romanize(name)
    assert result.toned == toned, source
    assert any(rule.startswith("lexicon:phrase:") for rule in result.parts[0].rule.split(",")), result.parts


def test_erhua_only_where_the_table_records_it() -> None:
    # 1984 rule 12: 盆儿胡同 Pénr Hútòng; the national database writes 鱼儿湾水库 Yú'érwān Shuǐkù (儿 a syllable).
    penr = romanize("盆儿胡同")
    assert penr.plain == "Penr Hutong" and penr.parts[0].toned == "Pénr"
    assert romanize("鱼儿湾水库").plain == "Yu'erwan Shuiku"


def test_search_keys_follow_the_place_reading() -> None:
    assert pinyin_key("十里堡") == ("shilipu", "slp")
    assert pinyin_key("大黄堡") == ("dahuangbao", "dhb")
    assert pinyin_key("盆儿胡同")[0] == "penrhutong"


def test_nationality_names_are_words_with_their_gb3304_form() -> None:
    # 中国测绘科学研究院《地名汉语拼音拼写规则》2000, item 6: 广西/壮族/自治区 Guangxi Zhuangzu Zizhiqu,
    # 梅里斯达斡尔族区 Meilisi Daurzu Qu; a GB 3304 form that is the pinyin keeps its tones, Daur (not the pinyin) is
    # official.
    zhuang = romanize("广西壮族自治区")
    assert zhuang.toned == "Guǎngxī Zhuàngzú Zìzhìqū" and zhuang.origin == "derived"
    daur = romanize("梅里斯达斡尔族区")
    assert daur.toned == "Méilǐsī Daurzu Qū" and daur.origin == "partly_official"
    assert romanize("内蒙古自治区").plain == "Nei Mongol Zizhiqu"  # 内 + 蒙古 is not split off

"""The words of the map pages, in one place: Chinese first, English second (issue 13, interface language).

The page titles, the notes under the maps, the names given to polygon sources, statuses, levels and basemaps, the
labels of a place's record and the printed sheet's approval box. The viewer's script (maps/static/viewer.js) gets
those it shows (levels, basemaps, polygon sources, dispute statuses, map pages) from the page's options, built
from here by maps/viewer.py. Colours and styles stay with the drawing code."""

from __future__ import annotations

VIEWER_TITLE = "鄂尔多斯市 地图 Ordos map viewer"
MAPS = {  # the separate map pages, by their path under /maps/
    "boundaries": "行政区划 Administrative units",
    "places": "地名点 Place names",
    "coverage": "设施覆盖 Facility coverage",
}
BASEMAP_LABELS = {"none": "无 none (offline)", "osm": "OSM", "tianditu": "天地图 Tianditu", "amap": "高德 AMap"}

# Notes under the maps.
ILLUSTRATIVE_NOTE = "示意数据 ILLUSTRATIVE: 设施为演示用虚构记录, 非真实清单 (facilities are made-up demo records)"
ILLUSTRATIVE_MARK = "示意数据 ILLUSTRATIVE"  # across the coverage map itself when it shows illustrative facilities
APPROX_NOTE = "乡镇/村点为地名服务的近似位置, 非驻地测量点 (unit points are approximate, geocoded from names)"
GENERALISED_NOTE = "非公开地名只显示概化位置 (0.1° 网格) (records that are not public show a generalised location)"

# Polygons are named on public pages by where they come from and by their status in the registry, never a vendor's
# lineage as "registered" unless the registry says so (issue 13). Unknown sources are shown by their name.
POLYGON_SOURCES = {
    "registered": "已登记 registered",  # a check's or comparison's side: the registry's registered polygons
    "amap-2020": "高德 AMap 2020 行政区划面",
    "datav-2021": "阿里云 DataV 2021 行政区划面",
}
POLYGON_STATUSES = {
    "registered": "已登记 registered",
    "reference": "参考 reference",
    "claimed": "主张 claimed",
    "draft": "草稿 draft",
}
LEVEL_LABELS = {
    "province": "省级 province",
    "city": "市级 city",
    "county": "县级 county",
    "township": "乡级 township",
    "village": "村级 village",
}
CASE_STATUSES = {"open": "未结 open", "mediating": "调解中 mediating", "resolved": "已结 resolved"}

# The fields of a place's record on its page, in the order shown.
PLACE_TEXTS = (
    ("meaning", "含义 meaning"),
    ("origin", "由来 origin"),
    ("history", "历史沿革 history"),
    ("approving_body", "批准机关 approved by"),
    ("document_number", "批准文号 document"),
    ("approval_date", "批准日期 approved on"),
)

# The approval number a published map carries (《地图管理条例》: a public map is published only after map review,
# its 审图号 printed on it); the printed sheet has not been reviewed, so it prints the slot, marked as a placeholder.
APPROVAL_PLACEHOLDER = "审图号：蒙S（____）____号"
APPROVAL_NOTE = "占位 PLACEHOLDER：本图未经地图审核，不得公开出版或展示 (not reviewed: not for publication)"

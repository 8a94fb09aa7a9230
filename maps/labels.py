"""The words of the map pages, in one place: Chinese first, English second (issue 13, interface language).

The page titles, the notes under the maps, the names given to polygon sources, statuses, levels and basemaps, the
labels of a place's record, the coverage and printed maps' legends, the printed sheet's approval box and the
words of the viewer's controls, cards, panel and popups. The viewer's script (maps/static/viewer.js) gets those
it shows (its words, levels, basemaps, polygon sources, dispute statuses, map pages) from the page's options,
built from here by maps/builders.py and maps/viewer.py. Colours and styles stay with the drawing code."""

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

# The coverage map's legends (their colours stay in maps/coverage.py; {target} is the beds target).
COVERAGE_LEGEND = {
    "points": "点 Points",
    "site": "社区养老服务设施 community eldercare site",
    "covered": "已覆盖社区/村 covered community or village",
    "uncovered": "未覆盖社区/村 uncovered community or village",
    "no_burial": "无公益性公墓的乡镇 township without a public-welfare cemetery",
    "grave": "散埋乱葬坟墓 individual grave",
    "inside": "三沿七区内的公墓/坟墓 cemetery or grave inside a prohibited zone",
    "other": "其他设施 other facility",
    "community_share": "社区一刻钟覆盖率 community share",
    "township_share": "乡镇公益性公墓覆盖率 township share",
    "beds": "床位/千老人 vs 目标 target {target}",
    "beds_low": "< 50% of target",
    "beds_middle": "50–100%",
    "beds_met": "≥ target",
    "no_data": "无数据 no data",
}

# The printed city map's legend (symbols and line styles stay in maps/print_drawing.py and maps/print_map.py).
PRINT_LEGEND = {
    "heading": "图例 Legend",
    "banner": "旗、区（登记面）Banner / district (registered polygon)",
    "township": "乡镇界（登记面）Township boundary (registered polygon)",
    "outer": "市界（旗区外缘线）City boundary (the banners' outer lines)",
    "agreed": "旗区界·已签界线协议 Banner boundary, agreement signed",
    "not_agreed": "旗区界·未签协议 Banner boundary, no agreement yet",
    "disputed": "旗区界·有争议（未结案件）Banner boundary disputed (open case)",
    "edges": "旗区界（登记面边线，界线未派生）Banner boundary (polygon edges; no lines derived)",
    "seat": "乡、镇、苏木、街道驻地（近似）Township seat (approximate)",
    "graticule": "经纬网 Graticule (CGCS2000)",
}

# The approval number a published map carries (《地图管理条例》: a public map is published only after map review,
# its 审图号 printed on it); the printed sheet has not been reviewed, so it prints the slot, marked as a placeholder.
APPROVAL_PLACEHOLDER = "审图号：蒙S（____）____号"
APPROVAL_NOTE = "占位 PLACEHOLDER：本图未经地图审核，不得公开出版或展示 (not reviewed: not for publication)"

# Everything the viewer's script writes on the page: controls, cards, the panel, popups and legends
# (maps/static/viewer.js reads them from the options every page gives it, ``words``; {name} is filled in by the
# script). tests/maps/test_viewer_words.py keeps Chinese text out of the scripts.
VIEWER_WORDS = {
    "layers": "图层 Layers",
    "search": "搜索地名 Search place names",
    "basemap": "底图",
    "basemap_label": "底图 Basemap",
    "date": "日期",
    "date_label": "日期 As of",
    "print": "打印 Print / PDF",
    "print_title": "A4 打印，或在打印对话框中另存为 PDF (print, or save as PDF from the print dialog)",
    "print_head": "数据日期 as of {as_of} · 打印 printed {today} · 来源 source: 本地名与区划服务 (this service)"
    " · 底图 basemap: {basemap}",
    "approval": "审图号 map approval no.: {number}",
    "approval_placeholder": "________ （占位，本图尚未送审 placeholder: this map has not been submitted for approval）",
    "export_geojson": "导出 GeoJSON",
    "export_geojson_title": "导出地图上显示的图层 export the layers shown",
    "export_csv": "导出 CSV",
    "export_csv_title": "导出为表格（Excel），经纬度为 CGCS2000"
    " export the layers shown as a table, lon/lat in CGCS2000",
    "export_failed": "导出失败 export failed: {reason}",
    "no_match": "无结果 no match",
    "close": "关闭 Close",
    # the card of a search hit
    "full_record": "完整记录 full record",
    "romanization": "罗马字母 romanization",
    "category": "类别 category",
    "unit": "所在政区 unit",
    "status": "状态 status",
    "until": " (至 {date})",
    "record": "记录 record",
    # the card of a click on the map (identify)
    "outside": "不在已登记区划内 outside every registered unit",
    "unit_path": "所在政区 unit path",
    "lon_lat": "坐标 lon, lat",
    "nearest_line": "最近界线 nearest boundary",
    "in_dispute": "争议 in dispute",
    "in_dispute_yes": "是 yes: {pieces} 争议块 disputed pieces, {cases} 未结案件 open cases",
    "no": "否 no",
    "as_of": "日期 as of",
    "nearest_points": "最近的乡镇/村点 nearest township/village points",
    # the panel of stored checks, comparisons and open dispute cases
    "picks": "检查、比对与争议 Checks & disputes",
    "loading": "载入中 loading…",
    "could_not_load": "无法载入 could not load: {reason}",
    "none_stored": "尚无 none stored yet",
    "checks_heading": "拓扑检查 Topology checks",
    "check_entry": "检查 #{id} · {as_of}",
    "all_units": "全部 all",
    "no_findings": "无问题 nothing found",
    "comparisons_heading": "边界比对 Comparisons",
    "comparison_entry": "比对 #{id} · {as_of}",
    "disputed_pieces": "争议块 {count} pieces, {area}",
    "cases_heading": "未结争议案件 Open dispute cases",
    "case_entry": "案件 #{id} · {title}",
    "documents_count": "{count} 份文件 documents",
    "no_ground": "无争议地图形 no ground drawn",
    "list_sep": "、",
    # what was picked and drawn (the panel, its legend, the exported layer's name)
    "check_no": "检查 check #{id}",
    "comparison_no": "比对 comparison #{id}",
    "case_no": "案件 case #{id}",
    "check_drawn": "检查 check #{id}: {count} 处问题 findings",
    "comparison_drawn": "比对 comparison #{id}: {count} 个争议块 pieces",
    "case_drawn": "案件 case #{id}: {count} 块争议地 pieces of ground",
    "clear": "清除 Clear",
    "nothing_to_draw": "无 nothing to draw",
    # the popup of a finding, a disputed piece or a dispute case
    "case_status": "争议案件 dispute case: {status}",
    "case": "案件 case",
    "units": "单位 units",
    "documents": "文件 documents",
    "documents_sep": "；",
    "comparison": "比对 comparison",
    "case_pieces": ", {count} 个争议块 pieces",
    "kind": "类型 kind",
    "area": "面积 area",
    "width": "宽度 width",
    "detail": "说明 detail",
    "owner": "{source} 归属 unit",
    "places_inside": "地名 places inside",
    "facilities_inside": "设施 facilities inside",
    "none": "无 none",
    # the card of a banner, township or village from the vector tiles
    "unit_record": "区划记录 unit record",
    "level": "级别 level",
    "code": "代码 code",
    "parent": "上级 parent",
    "valid": "有效期 valid",
    "now": "今 now",
    "location": "位置 location",
    "registered_polygon": "已登记界线 registered polygon",
    "reference_point": "参考点 reference point",
    # the boundary hazards layer: its switcher name, legend and popup
    "hazards_layer": "边界风险 Boundary hazards (按分值 by score)",
    "hazard_legend": "边界风险分值 hazard score",
    "hazard": "边界风险 hazard: {units}",
    "score": "分值 score",
    "score_rank": "{score} (第 {rank} 名 rank)",
    "section": "区段 section",
    "no_hazard": "无风险因素 nothing found",
    "reasons": "原因 reasons",
}

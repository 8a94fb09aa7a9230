"""Errors as a page for a browser: a request that asks for HTML first (a navigation: a map page, a place's page, a
mistyped address) gets its error as a short HTML page in Chinese first, English second, with the service's own
detail and a way back; every other client keeps the one JSON error format (core.http_errors.error_body)."""

from __future__ import annotations

import html

# Status -> (Chinese title, English title, what it means, in Chinese).
TITLES = {
    400: ("请求有误", "Bad request", "请求的格式不正确。"),
    401: ("需要密钥", "Key required", "此操作需要有效的 API 密钥。"),
    403: ("无权访问", "Forbidden", "您的密钥无权进行此操作。"),
    404: ("未找到", "Not found", "找不到所请求的页面或记录，请检查地址或编号。"),
    405: ("方法不允许", "Method not allowed", "此地址不接受这种请求方式。"),
    409: ("冲突", "Conflict", "请求与当前数据冲突，请刷新后重试。"),
    413: ("内容过大", "Too large", "提交的内容超过了允许的大小。"),
    422: ("请求参数有误", "Invalid input", "地址中的参数不符合要求，请检查后重试。"),
    429: ("请求过多", "Too many requests", "请求过于频繁，请稍后再试。"),
    503: ("暂不可用", "Service unavailable", "服务暂时无法完成此请求，请稍后再试。"),
}
OTHER = ("出错了", "Error", "请求未能完成。")


def prefers_html(accept: str) -> bool:
    """True when the Accept header names text/html before any JSON type (a browser's navigation)."""
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    page = types.index("text/html") if "text/html" in types else None
    data = next((i for i, t in enumerate(types) if t in ("application/json", "application/geo+json")), None)
    return page is not None and (data is None or page < data)


def error_page(status: int, detail: str) -> str:
    """The error page of ``status`` with the service's ``detail`` (escaped), links to the map and the API docs."""
    chinese, english, meaning = TITLES.get(status, OTHER)
    return PAGE.format(
        status=status, chinese=chinese, english=english, meaning=meaning, detail=html.escape(detail, quote=False)
    )


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{status} {chinese} {english} · 鄂尔多斯市地名与区划</title>
<style>
body {{ font: 16px/1.6 sans-serif; color: #222; max-width: 40em; margin: 3em auto; padding: 0 1em; }}
h1 {{ font-size: 1.5em; margin: 0 0 .3em; }} h1 small {{ color: #666; font-weight: normal; font-size: .7em; }}
.detail {{ color: #555; font-size: .9em; border-left: 3px solid #ccc; padding-left: .8em; overflow-wrap: anywhere; }}
nav a {{ display: inline-block; margin: .5em 1.2em 0 0; min-height: 44px; line-height: 44px; }}
</style></head>
<body>
<h1>{status} {chinese} <small>{english}</small></h1>
<p>{meaning}</p>
<p class="detail" lang="en">详情 Detail: {detail}</p>
<nav><a href="/maps/">返回地图 Back to the map</a><a href="/docs">接口文档 API documentation</a></nav>
</body></html>
"""

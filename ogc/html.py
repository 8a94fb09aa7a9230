"""HTML encoding of the OGC API documents (plain pages: links and tables, no scripts)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

_STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
)


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="zh"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def _links(links: list[dict[str, str]]) -> str:
    items = "".join(
        f'<li><a href="{escape(x["href"])}">{escape(x.get("title") or x["rel"])}</a> ({escape(x["rel"])}, '
        f"{escape(x['type'])})</li>"
        for x in links
    )
    return f"<ul>{items}</ul>"


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape('' if r.get(c) is None else str(r.get(c)))}</td>" for c in columns) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def landing(document: dict[str, Any]) -> str:
    """The landing page."""
    return _page(document["title"], f"<p>{escape(document['description'])}</p>{_links(document['links'])}")


def conformance(document: dict[str, Any]) -> str:
    """The conformance classes."""
    items = "".join(f"<li>{escape(c)}</li>" for c in document["conformsTo"])
    return _page("Conformance", f"<ul>{items}</ul>")


def collections(document: dict[str, Any]) -> str:
    """The list of collections."""
    rows = "".join(
        f'<tr><td><a href="{escape(c["links"][0]["href"])}?f=html">{escape(c["id"])}</a></td>'
        f"<td>{escape(c['title'])}</td><td>{escape(c['description'])}</td></tr>"
        for c in document["collections"]
    )
    return _page("Collections", f"<table><tr><th>id</th><th>title</th><th>description</th></tr>{rows}</table>")


def collection(document: dict[str, Any]) -> str:
    """One collection."""
    extent = escape(json.dumps(document.get("extent", {}), ensure_ascii=False))
    body = f"<p>{escape(document['description'])}</p><p>Extent: <code>{extent}</code></p>{_links(document['links'])}"
    return _page(document["title"], body)


def items(collection_id: str, feature_collection: dict[str, Any]) -> str:
    """A page of features: a table of ids, properties and geometry types, with the paging links."""
    features = feature_collection["features"]
    columns = ["id", *(features[0]["properties"] if features else {}), "geometry"]
    rows = [
        {
            "id": f["id"],
            **f["properties"],
            "geometry": f["geometry"]["type"] if f.get("geometry") else None,
        }
        for f in features
    ]
    pages = [
        {**x, "href": x["href"] + ("&" if "?" in x["href"] else "?") + "f=html", "type": "text/html"}
        for x in feature_collection["links"]
        if x["rel"] in ("next", "prev")
    ]
    summary = (
        f"<p>{feature_collection['numberReturned']} of {feature_collection.get('numberMatched', 'many')} features</p>"
        f"{_links(feature_collection['links'] + pages)}"
    )
    return _page(f"{collection_id}: features", summary + _table(rows, columns))


def item(collection_id: str, feature: dict[str, Any]) -> str:
    """One feature: its properties and its geometry as GeoJSON."""
    rows = [{"property": k, "value": v} for k, v in feature["properties"].items()]
    geometry = escape(json.dumps(feature.get("geometry"), ensure_ascii=False)[:5000])
    return _page(f"{collection_id} / {feature['id']}", _table(rows, ["property", "value"]) + f"<pre>{geometry}</pre>")

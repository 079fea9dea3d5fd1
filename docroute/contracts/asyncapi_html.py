"""Render the AsyncAPI document as one self-contained HTML page (no script, no outside asset)."""

from __future__ import annotations

from html import escape
from typing import Any

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border:1px solid #ccc;
padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f3f3f3}code{font-size:90%}
h2{border-bottom:2px solid #ddd;padding-bottom:.2rem}section{margin-bottom:2rem}
"""


def _type(field: dict[str, Any]) -> str:
    if "const" in field:
        return f"const {field['const']!r}"
    kind = field.get("type", "$ref" if "$ref" in field else "any")
    text = " | ".join(kind) if isinstance(kind, list) else str(kind)
    if "enum" in field:
        text += " (" + ", ".join(str(v) for v in field["enum"]) + ")"
    if "format" in field:
        text += f" ({field['format']})"
    return text


def _fields(schema: dict[str, Any]) -> str:
    required = set(schema.get("required", ()))
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{escape(_type(field))}</td>"
        f"<td>{'yes' if name in required else ''}</td><td>{escape(field.get('description', ''))}</td></tr>"
        for name, field in schema.get("properties", {}).items()
    )
    return f"<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>{rows}</table>"


def _operations_of(document: dict[str, Any], channel_key: str, action: str) -> str:
    ref = f"#/channels/{channel_key}"
    names = [
        op["tags"][0]["name"]
        for op in document["operations"].values()
        if op["channel"]["$ref"] == ref and op["action"] == action
    ]
    return ", ".join(names)


def render_html(document: dict[str, Any]) -> str:
    """The page: channels (address, messages, senders, receivers), then each message's fields."""
    channel_rows = []
    for key, channel in document["channels"].items():
        messages = ", ".join(f'<a href="#{escape(m)}">{escape(m)}</a>' for m in channel.get("messages", {}))
        params = "".join(
            f"<br><code>{{{escape(p)}}}</code>: {escape(v['description'])}"
            for p, v in channel.get("parameters", {}).items()
        )
        address = escape(channel["address"]) if channel["address"] else "<i>named by the operator</i>"
        channel_rows.append(
            f"<tr><td><code>{address}</code></td><td>{messages}</td>"
            f"<td>{escape(_operations_of(document, key, 'send'))}</td>"
            f"<td>{escape(_operations_of(document, key, 'receive'))}</td>"
            f"<td>{escape(channel['description'])}{params}</td></tr>"
        )
    sections = []
    for name, message in document["components"]["messages"].items():
        payload = document["components"]["schemas"][name]["schema"]
        data = payload["$defs"]["data"]
        key = message["bindings"]["kafka"]["key"]["description"]
        sections.append(
            f'<section id="{escape(name)}"><h3>{escape(message["title"])} '
            f"(<code>{escape(name)}</code>)</h3><p>{escape(message['summary'])}</p>"
            f"<p><b>Key:</b> {escape(key)} <b>dataschema:</b> "
            f"<code>{escape(message['x-docroute-dataschema'])}</code></p>{_fields(data)}</section>"
        )
    envelope = next(iter(document["components"]["schemas"].values()))["schema"]["$defs"]["envelope"]
    info = document["info"]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(info['title'])}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(info['title'])} (AsyncAPI {escape(document['asyncapi'])})</h1>"
        f"<p>{escape(info['description'])}</p>"
        "<h2>Channels</h2><table><tr><th>topic</th><th>messages</th><th>sent by</th>"
        f"<th>read by</th><th>description</th></tr>{''.join(channel_rows)}</table>"
        f"<h2>Envelope (every message)</h2><p>{escape(envelope['description'])}</p>{_fields(envelope)}"
        f"<h2>Messages</h2>{''.join(sections)}</body></html>\n"
    )

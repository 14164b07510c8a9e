"""The dashboard's charts, drawn server-side as SVG (house style: tiers.charts): no script, no CDN, no style
attribute (the CSP forbids them). Colours come from classes in static/css/backoffice.css, or from a
``fill`` presentation attribute for colours the tenant chose (a tier's colour)."""

import math
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Segment:
    label: str
    value: int
    css: str = ""  # a class, e.g. "dash-series-1"
    colour: str = ""  # a #rrggbb fill, when the tenant chose it


def _svg_open(width: int, height: int, label: str, css: str) -> list[str]:
    return [
        f'<svg class="dash-chart {css}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(label)}</title>",
    ]


def _fill(segment: Segment) -> str:
    return f' fill="{escape(segment.colour)}"' if segment.colour else ""


def _n(value) -> str:
    return number_format(value, 0, force_grouping=True)


def stacked_bars(*, rows: list[tuple[str, str, list[Segment]]], label: str) -> SafeString:
    """One horizontal bar per row (name, swatch colour, segments), the segments side by side, the total at
    the end; every bar on the same scale."""
    width, row_h, left, right = 440, 34, 96, 44
    height = max(1, len(rows)) * row_h + 8
    top_total = max([sum(s.value for s in segments) for _, _, segments in rows] + [1])
    plot_w = width - left - right
    parts = _svg_open(width, height, label, "dash-chart--bars")
    for index, (name, swatch, segments) in enumerate(rows):
        y = 4 + index * row_h
        parts.append(
            f'<rect x="0" y="{y + 9}" width="10" height="10" rx="2" class="dash-chart__swatch"'
            f"{_fill(Segment('', 0, colour=swatch))}/>"
            f'<text x="16" y="{y + 18}" class="dash-chart__label">{escape(name)}</text>'
            f'<rect x="{left}" y="{y + 4}" width="{plot_w}" height="{row_h - 12}" rx="3" class="dash-chart__track"/>'
        )
        x = float(left)
        for segment in segments:
            if segment.value <= 0:
                continue
            w = plot_w * segment.value / top_total
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 12}" class="{segment.css}"'
                f"{_fill(segment)}><title>{escape(name)} — {escape(segment.label)} : {_n(segment.value)}"
                "</title></rect>"
            )
            x += w
        total = sum(s.value for s in segments)
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 18}" class="dash-chart__value">{_n(total)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def grouped_columns(*, groups: list[tuple[str, list[Segment]]], label: str) -> SafeString:
    """Vertical columns: one group per category (Up, Down…), one column per series (last, projected),
    each with its value above it. The page names the series in an HTML legend (it wraps on a phone)."""
    width, height, left, bottom, top = 440, 200, 8, 28, 22
    plot_w, plot_h = width - 2 * left, height - top - bottom
    top_value = max([s.value for _, segments in groups for s in segments] + [1])
    group_w = plot_w / max(1, len(groups))
    series = max((len(segments) for _, segments in groups), default=1)
    column_w = min(34.0, group_w * 0.7 / series)
    parts = _svg_open(width, height, label, "dash-chart--columns")
    base = top + plot_h
    parts.append(
        f'<line x1="{left}" x2="{width - left}" y1="{base}" y2="{base}" class="dash-chart__axis-line"/>'
    )
    for index, (name, segments) in enumerate(groups):
        x0 = left + index * group_w + (group_w - column_w * len(segments)) / 2
        for s_index, segment in enumerate(segments):
            h = plot_h * segment.value / top_value
            x = x0 + s_index * column_w
            parts.append(
                f'<rect x="{x + 2:.1f}" y="{base - h:.1f}" width="{column_w - 4:.1f}" height="{h:.1f}" rx="2" '
                f'class="{segment.css}"{_fill(segment)}><title>{escape(name)} — {escape(segment.label)} : '
                f"{_n(segment.value)}</title></rect>"
                f'<text x="{x + column_w / 2:.1f}" y="{base - h - 5:.1f}" text-anchor="middle" '
                f'class="dash-chart__value">{_n(segment.value)}</text>'
            )
        parts.append(
            f'<text x="{left + index * group_w + group_w / 2:.1f}" y="{base + 18}" text-anchor="middle" '
            f'class="dash-chart__label">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def donut(*, segments: list[Segment], centre: str, caption: str, label: str) -> SafeString:
    """A ring split in ``segments`` (clockwise from the top) with ``centre`` (e.g. "87 %") in the middle."""
    size, radius, stroke = 180, 70, 22
    c = size / 2
    circumference = 2 * math.pi * radius
    total = sum(s.value for s in segments)
    parts = _svg_open(size, size, label, "dash-chart--donut")
    parts.append(
        f'<circle cx="{c}" cy="{c}" r="{radius}" fill="none" stroke-width="{stroke}" class="dash-donut__track"/>'
    )
    offset = 0.0
    for segment in segments:
        if total <= 0 or segment.value <= 0:
            continue
        length = circumference * segment.value / total
        parts.append(
            f'<circle cx="{c}" cy="{c}" r="{radius}" fill="none" stroke-width="{stroke}" '
            f'stroke-dasharray="{length:.2f} {circumference - length:.2f}" '
            f'stroke-dashoffset="{-offset:.2f}" transform="rotate(-90 {c} {c})" class="{segment.css}">'
            f"<title>{escape(segment.label)} : {_n(segment.value)}</title></circle>"
        )
        offset += length
    parts.append(
        f'<text x="{c}" y="{c + 6}" text-anchor="middle" class="dash-donut__centre">{escape(centre)}</text>'
        f'<text x="{c}" y="{c + 26}" text-anchor="middle" class="dash-donut__caption">{escape(caption)}</text>'
        "</svg>"
    )
    return mark_safe("".join(parts))

"""The objective / forecast / actual chart of the plan, drawn server-side as SVG (house style: tiers.charts)."""

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from partnerportal.formatting import money
from tiers.charts import chart_frame, nice_ceiling

from .models import quarter_label

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 72, 20, 20, 56


def label_of(quarter) -> str:
    return quarter_label(quarter.start)


def plan_chart(*, quarters, label: str) -> SafeString:
    """Three bars per quarter (objective, forecast, actual); a missing figure leaves its slot empty."""
    series = (
        ("objective", _("Objective")),
        ("forecast", _("Forecast")),
        ("actual", _("Actual")),
    )
    values = [getattr(q, key) or Decimal("0") for q in quarters for key, _name in series]
    ceiling = nice_ceiling(max(values + [Decimal("0")]) * Decimal("1.1"))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_w / max(1, len(quarters))
    bar = group * 0.8 / len(series)

    def y(value: Decimal) -> float:
        return TOP + plot_h - float(value / ceiling) * plot_h

    parts = chart_frame(label=label, size=(WIDTH, HEIGHT), left=LEFT, plot_w=plot_w, ceiling=ceiling, y=y)
    for index, quarter in enumerate(quarters):
        x0 = LEFT + index * group + group * 0.1
        for s, (key, name) in enumerate(series):
            amount = getattr(quarter, key)
            if amount is None:
                continue
            height = float(amount / ceiling) * plot_h
            parts.append(
                f'<rect x="{x0 + s * bar:.1f}" y="{TOP + plot_h - height:.1f}" width="{bar * 0.9:.1f}" '
                f'height="{height:.1f}" class="plan-chart__{key}"><title>{escape(label_of(quarter))} — {escape(name)} : '
                f"{escape(money(amount))}</title></rect>"
            )
        parts.append(
            f'<text x="{x0 + group * 0.4:.1f}" y="{TOP + plot_h + 18}" text-anchor="middle" class="chart__axis">'
            f"{escape(label_of(quarter))}</text>"
        )
    legend_x = LEFT
    for key, name in series:
        parts.append(
            f'<rect x="{legend_x}" y="{HEIGHT - 16}" width="12" height="12" class="plan-chart__{key}"/>'
            f'<text x="{legend_x + 18}" y="{HEIGHT - 6}" class="chart__axis">{escape(name)}</text>'
        )
        legend_x += 130
    parts.append("</svg>")
    return mark_safe("".join(parts))

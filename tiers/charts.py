"""The revenue chart of "Mon statut", drawn server-side as SVG: no script, no CDN, works in PDFs too."""

import datetime as dt
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from partnerportal.formatting import date_format

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 140, 20, 36


def nice_ceiling(value: Decimal) -> Decimal:
    if value <= 0:
        return Decimal("100")
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        ceiling = magnitude * Decimal(str(step))
        if ceiling >= value:
            return ceiling
    return magnitude * 10


def chart_frame(
    *, label: str, size: tuple[int, int], left: int, plot_w: float, ceiling: Decimal, y
) -> list[str]:
    """The opening of a chart: the SVG element, its title, and five grid lines in euros up to ``ceiling``
    (``y`` maps an amount to its height). The apps' charts share it."""
    width, height = size
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
    ]
    for i in range(5):
        value = ceiling * i / 4
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" class="chart__grid"/>'
            f'<text x="{left - 8}" y="{y(value) + 4:.1f}" text-anchor="end" class="chart__axis">'
            f"{number_format(value, 0, force_grouping=True)} €</text>"
        )
    return parts


def revenue_chart(
    *, months: list[tuple[dt.date, Decimal]], thresholds: list[tuple[str, Decimal, str]], label: str
) -> SafeString:
    """Bars of monthly qualifying revenue with one dashed line per tier threshold (name, amount, colour)."""
    # Scale to the revenue and the first threshold above it, so that a far-away top tier (Premium at
    # 10 000 € for a partner at 400 €) does not flatten the bars; higher thresholds are named above the plot.
    top_revenue = max([amount for _, amount in months] + [Decimal("0")])
    above = sorted(t[1] for t in thresholds if t[1] > top_revenue)
    base = top_revenue
    if above and (above[0] <= 2 * top_revenue or top_revenue == 0):
        base = above[0]
    ceiling = nice_ceiling(base * Decimal("1.1"))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(months))

    def y(value: Decimal) -> float:
        return TOP + plot_h - float(value / ceiling) * plot_h

    parts = chart_frame(label=label, size=(WIDTH, HEIGHT), left=LEFT, plot_w=plot_w, ceiling=ceiling, y=y)
    for i, (month, amount) in enumerate(months):
        x = LEFT + i * step + step * 0.15
        height = float(amount / ceiling) * plot_h
        parts.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" width="{step * 0.7:.1f}" height="{height:.1f}" '
            f'class="chart__bar"><title>{escape(date_format(month, "F Y"))} : '
            f"{number_format(amount, 2, force_grouping=True)} €</title></rect>"
        )
        if i % 3 == 0 or i == len(months) - 1:
            parts.append(
                f'<text x="{x + step * 0.35:.1f}" y="{HEIGHT - 12}" text-anchor="middle" class="chart__axis">'
                f"{escape(date_format(month, 'M y'))}</text>"
            )
    label_ys: list[float] = []
    for name, amount, colour in sorted(thresholds, key=lambda t: t[1]):
        if amount <= 0:
            continue
        if amount > ceiling:
            parts.append(
                f'<text x="{LEFT + plot_w + 6}" y="{TOP + 4}" fill="{escape(colour)}" class="chart__label">'
                f"↑ {escape(name)} {number_format(amount, 0, force_grouping=True)} €</text>"
            )
            break
        label_y = y(amount) + 4
        if label_ys and label_ys[-1] - label_y < 13:  # keep close thresholds' labels apart
            label_y = label_ys[-1] - 13
        label_ys.append(label_y)
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(amount):.1f}" y2="{y(amount):.1f}" '
            f'stroke="{escape(colour)}" class="chart__threshold"/>'
            f'<text x="{LEFT + plot_w + 6}" y="{label_y:.1f}" fill="{escape(colour)}" class="chart__label">'
            f"{escape(name)} {number_format(amount, 0, force_grouping=True)} €</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))

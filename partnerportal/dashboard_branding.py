"""The back-office in the tenant's colours: the Django admin's CSS variables from the tenant's two colours,
with text colours chosen for contrast (WCAG 2: 4.5:1 for text), served as a stylesheet (the CSP allows no
inline style)."""

from django.http import HttpResponse

WHITE, INK = "#ffffff", "#1b1b1f"
TEXT_CONTRAST = 4.5


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _hex(rgb) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def luminance(colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(colour: str, other: str, share: float) -> str:
    """``colour`` with ``share`` (0–1) of ``other`` mixed in."""
    return _hex(a + (b - a) * share for a, b in zip(_rgb(colour), _rgb(other), strict=True))


def text_on(background: str) -> str:
    """White or ink, whichever reads better on ``background``."""
    return WHITE if contrast(background, WHITE) >= contrast(background, INK) else INK


def readable_on(colour: str, background: str, towards: str) -> str:
    """``colour`` mixed towards ``towards`` (black on a light page) until it reads as text on ``background``."""
    for step in range(0, 21):
        candidate = mix(colour, towards, step / 20)
        if contrast(candidate, background) >= TEXT_CONTRAST:
            return candidate
    return towards


def backoffice_css(*, primary: str, accent: str) -> str:
    header_bg = primary
    header_fg = text_on(header_bg)
    # The breadcrumbs and the default button a shade away from the header, in the same hue.
    secondary = mix(primary, "#000000", 0.25) if luminance(primary) > 0.05 else mix(primary, WHITE, 0.18)
    accent_fg = text_on(accent)
    link_light = readable_on(primary, WHITE, "#000000")
    link_dark = readable_on(mix(primary, WHITE, 0.55), "#121212", WHITE)
    accent_on_header = accent if contrast(accent, header_bg) >= 3 else header_fg
    return (
        # Theme-independent: coloured surfaces with their own text colour (the admin's dark theme sets
        # --primary on html[data-theme="dark"], hence the second selector).
        ":root, html[data-theme] {\n"
        f"  --brand-primary: {primary};\n"
        f"  --brand-accent: {accent};\n"
        f"  --brand-accent-fg: {accent_fg};\n"
        f"  --brand-secondary: {secondary};\n"
        f"  --primary: {primary};\n"
        f"  --secondary: {secondary};\n"
        f"  --accent: {accent_on_header};\n"
        f"  --primary-fg: {header_fg};\n"
        f"  --header-bg: {header_bg};\n"
        f"  --header-color: {header_fg};\n"
        f"  --header-branding-color: {header_fg};\n"
        f"  --header-link-color: {header_fg};\n"
        f"  --breadcrumbs-bg: {secondary};\n"
        f"  --breadcrumbs-fg: {text_on(secondary)};\n"
        f"  --breadcrumbs-link-fg: {text_on(secondary)};\n"
        f"  --button-bg: {primary};\n"
        f"  --button-fg: {header_fg};\n"
        f"  --button-hover-bg: {secondary};\n"
        f"  --default-button-bg: {secondary};\n"
        f"  --default-button-hover-bg: {primary};\n"
        "}\n"
        # Links are text on the page: dark enough on white, light enough on the dark theme's background.
        'html[data-theme="light"], :root:not([data-theme]) {\n'
        f"  --link-fg: {link_light};\n  --link-hover-color: {mix(link_light, '#000000', 0.3)};\n"
        f"  --link-selected-fg: {link_light};\n  --brand-text: {link_light};\n"
        "}\n"
        "@media (prefers-color-scheme: light) {\n"
        '  html[data-theme="auto"] {\n'
        f"    --link-fg: {link_light};\n    --link-hover-color: {mix(link_light, '#000000', 0.3)};\n"
        f"    --link-selected-fg: {link_light};\n    --brand-text: {link_light};\n"
        "  }\n}\n"
        'html[data-theme="dark"] {\n'
        f"  --link-fg: {link_dark};\n  --link-hover-color: {mix(link_dark, WHITE, 0.3)};\n"
        f"  --link-selected-fg: {link_dark};\n  --brand-text: {link_dark};\n"
        "}\n"
        "@media (prefers-color-scheme: dark) {\n"
        '  html[data-theme="auto"] {\n'
        f"    --link-fg: {link_dark};\n    --link-hover-color: {mix(link_dark, WHITE, 0.3)};\n"
        f"    --link-selected-fg: {link_dark};\n    --brand-text: {link_dark};\n"
        "  }\n}\n"
    )


def backoffice_branding_css(request):
    """/admin/branding.css: public (the sign-in page wears the colours too), cached a few minutes."""
    tenant = request.tenant
    response = HttpResponse(
        backoffice_css(primary=tenant.primary_colour, accent=tenant.accent_colour),
        content_type="text/css; charset=utf-8",
    )
    response["Cache-Control"] = "public, max-age=300"
    return response

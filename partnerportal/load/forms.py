"""The forms of a page as a browser would submit them: fields with their values, selects with their options.

The simulated people fill in what the page offers (the claimable benefits, the catalogue's products, the
pending claims' buttons) rather than guessed ids, so a scenario follows the data whatever its build.
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    attrs: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)  # what the browser would send as the page stands
    options: dict[str, list[str]] = field(
        default_factory=dict
    )  # a select's option values, the empty one left out
    buttons: list[dict[str, str]] = field(default_factory=list)  # submit buttons: name, value, formaction

    def data(self, **changes: str) -> dict[str, str]:
        return {**self.fields, **changes}


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.orphans: list[dict[str, str]] = []  # buttons outside any form (form="id"), with their attributes
        self._form: Form | None = None
        self._select: str | None = None
        self._selected: bool = False

    def handle_starttag(self, tag, attrs):
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower(), attrs=a)
            self.forms.append(self._form)
            return
        form = self._form
        if tag == "button" and a.get("type", "submit") == "submit":
            (form.buttons if form is not None and "form" not in a else self.orphans).append(a)
        if form is None or "name" not in a:
            if tag == "option" and form is not None and self._select is not None:
                self._option(a)
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            form.fields[name] = a.get("value", "on" if kind in ("checkbox", "radio") else "")
        elif tag == "select":
            self._select, self._selected = name, False
            form.options.setdefault(name, [])
            form.fields.setdefault(name, "")
        elif tag == "textarea":
            form.fields[name] = ""
        elif tag == "option" and self._select is not None:
            self._option(a)

    def _option(self, a: dict[str, str]) -> None:
        value = a.get("value", "")
        if value:
            self._form.options[self._select].append(value)
        if "selected" in a or (not self._selected and not self._form.fields[self._select]):
            self._form.fields[self._select] = value
            self._selected = self._selected or "selected" in a

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def page_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_posting_to(html: str, prefix: str) -> list[Form]:
    """The page's POST forms whose action starts with ``prefix``."""
    return [form for form in page_forms(html) if form.method == "post" and form.action.startswith(prefix)]

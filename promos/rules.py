"""The small language managers write promotion rules in: product selectors and basket conditions.

Rules are data, never code: a selector names what a rule prices, a condition says when it applies, and both
are parsed here (no ``eval``), with a message naming the line and the word at fault when they cannot work.

Selectors, separated by commas: a family (``data_link``), a family and one of its sub-families
(``data_link/fibre``) or a product code of the catalogue (``SIP-TOUCH``).

Conditions, one per line, all or any of them must hold (the rule says which):

- ``has SELECTOR[, SELECTOR...]``: the basket holds a product one of the selectors matches;
- ``quantity SELECTOR[, ...] > N`` (or ``>= N``): the basket's quantity of those products is above N;
- ``flag CODE``: the order carries that flag (a migration of a VGA fleet, ...).
"""

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class Family:
    """The product families of the seeds' price lists, and their sub-families."""

    SIP_TRUNK = "sip_trunk"
    CHANNEL = "channel"
    METACENTREX = "metacentrex"
    VOIP_UC = "voip_uc"
    DATA_LINK = "data_link"
    VM = "vm"
    PORTABILITY = "portability"
    MINUTES = "minutes"
    ACCESS_FEE = "access_fee"
    BIZBOOSTER = "bizbooster"


SUBFAMILIES: dict[str, tuple[str, ...]] = {
    Family.DATA_LINK: ("sdsl", "fibre", "ftth"),
    Family.VOIP_UC: ("voip", "uc"),
}
FAMILIES = tuple(v for k, v in vars(Family).items() if k.isupper())


@dataclass(frozen=True)
class Selector:
    """One comma-separated word of a selector: a family, a family's sub-family, or a product code."""

    family: str = ""
    subfamily: str = ""
    product: str = ""

    def matches(self, *, code: str, family: str, subfamily: str) -> bool:
        if self.product:
            return code == self.product
        return family == self.family and (not self.subfamily or subfamily == self.subfamily)

    def __str__(self) -> str:
        if self.product:
            return self.product
        return f"{self.family}/{self.subfamily}" if self.subfamily else self.family


def parse_selectors(text: str, *, product_codes: Iterable[str], where: str = "") -> tuple[Selector, ...]:
    """The selectors of ``text``; ``product_codes`` are the tenant's. Raises ``ValidationError``."""
    codes = set(product_codes)
    selectors = []
    for word in (w.strip() for w in text.split(",")):
        if not word:
            continue
        family, slash, subfamily = (part.strip() for part in word.partition("/"))
        word = f"{family}{slash}{subfamily}"  # "data_link / fibre" reads as "data_link/fibre"
        if family in FAMILIES:
            if slash and subfamily not in SUBFAMILIES.get(family, ()):
                known = ", ".join(SUBFAMILIES.get(family, ())) or _("none")
                raise ValidationError(
                    _("%(where)s“%(word)s”: %(family)s has no sub-family “%(sub)s” (it has: %(known)s).")
                    % {"where": where, "word": word, "family": family, "sub": subfamily, "known": known}
                )
            selectors.append(Selector(family=family, subfamily=subfamily))
        elif word in codes:
            selectors.append(Selector(product=word))
        else:
            raise ValidationError(
                _(
                    "%(where)s“%(word)s” is neither a product family (%(families)s) nor a product code of the catalogue."
                )
                % {"where": where, "word": word, "families": ", ".join(FAMILIES)}
            )
    return tuple(selectors)


@dataclass(frozen=True)
class Condition:
    kind: str  # "has", "quantity" or "flag"
    selectors: tuple[Selector, ...] = ()
    minimum: int = 0  # "quantity": the basket's quantity must be at least this
    flag: str = ""
    text: str = ""  # the line as written, for the explanation

    def holds(self, basket) -> bool:
        if self.kind == "flag":
            return self.flag in basket.flags
        quantity = basket.quantity_of(self.selectors)
        return quantity >= (self.minimum if self.kind == "quantity" else 1)


QUANTITY = re.compile(r"^(?P<selectors>.+?)\s*(?P<op>>=|>)\s*(?P<n>[0-9]+)$")


def parse_conditions(
    text: str, *, product_codes: Iterable[str], flag_codes: Iterable[str]
) -> tuple[Condition, ...]:
    """The conditions of ``text``, one per line. Raises ``ValidationError`` naming the line at fault."""
    codes, flags = list(product_codes), set(flag_codes)
    conditions = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = " ".join(raw.split())
        if not line:
            continue
        where = _("Line %(n)s: ") % {"n": number}
        keyword, _space, rest = line.partition(" ")
        keyword = keyword.lower()
        condition = None
        if keyword == "has" and rest:
            condition = Condition("has", parse_selectors(rest, product_codes=codes, where=where), text=line)
        elif keyword == "quantity" and (match := QUANTITY.match(rest)):
            # Length first: int() refuses more than 4,300 digits with a ValueError, which is no form error.
            written = match["n"]
            digits = written.lstrip("0") or "0"
            n = int(digits) if len(digits) <= 7 else None
            if n is None or (n + 1 if match["op"] == ">" else n) > 1_000_000:
                shown = written if len(written) <= 12 else written[:12] + "…"
                raise ValidationError(
                    _("%(where)sthe quantity %(n)s is too large.") % {"where": where, "n": shown}
                )
            minimum = n + 1 if match["op"] == ">" else n
            selectors = parse_selectors(match["selectors"], product_codes=codes, where=where)
            condition = Condition("quantity", selectors, minimum=minimum, text=line)
        elif keyword == "flag" and rest:
            if rest not in flags:
                raise ValidationError(
                    _("%(where)sthere is no order flag “%(flag)s” (known: %(known)s).")
                    % {"where": where, "flag": rest, "known": ", ".join(sorted(flags)) or _("none")}
                )
            condition = Condition("flag", flag=rest, text=line)
        # "has ," selects no product: such a condition would never hold, so it is not one either.
        if condition is None or (condition.kind != "flag" and not condition.selectors):
            raise ValidationError(
                _(
                    "%(where)s“%(line)s” is not a condition. Write “has SELECTOR”, “quantity SELECTOR > N” "
                    "or “flag CODE”."
                )
                % {"where": where, "line": line}
            )
        conditions.append(condition)
    return tuple(conditions)


def parse_steps(text: str) -> tuple[tuple[int, str], ...]:
    """A quantity price grid, one step per line: ``10 = 7.00`` means "more than 10: 7.00 each".

    Returns ``((10, "7.00"), (30, "5.00"))`` sorted by quantity; prices stay strings (Decimal is the
    caller's). Raises ``ValidationError`` naming the line at fault.
    """
    steps: dict[int, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        where = _("Line %(n)s: ") % {"n": number}
        above, equals, price = (part.strip() for part in line.partition("="))
        above = above.removeprefix(">").strip()
        try:
            if not equals or not above.isascii() or not above.isdigit():
                raise ValueError
            amount = Decimal(price.replace(",", "."))
            if not amount.is_finite() or not re.fullmatch(r"[0-9]+([.,][0-9]{1,2})?", price):
                raise ValueError
        except (ValueError, InvalidOperation):
            raise ValidationError(
                _("%(where)s“%(line)s”: write “more than N = price”, e.g. “10 = 7.00”.")
                % {"where": where, "line": line}
            ) from None
        # Length first: int() refuses more than 4,300 digits with a ValueError, which is no form error.
        digits = above.lstrip("0") or "0"
        if len(digits) > 7 or int(digits) > 1_000_000 or amount >= Decimal("100000000"):
            raise ValidationError(_("%(where)sthis step is too large.") % {"where": where})
        if int(digits) in steps:
            raise ValidationError(
                _("%(where)sthe quantity %(n)s has two prices.") % {"where": where, "n": above}
            )
        steps[int(digits)] = str(amount.quantize(Decimal("0.01")))
    ordered = sorted(steps.items())
    for (fewer, cheaper), (more, dearer) in itertools.pairwise(ordered):
        if Decimal(dearer) > Decimal(cheaper):
            # A grid that charges more per unit for a larger order is a typing mistake, not a promotion.
            raise ValidationError(
                _(
                    "A larger order cannot cost more per unit: more than %(more)s at %(dearer)s, but more "
                    "than %(fewer)s at %(cheaper)s."
                )
                % {"more": more, "dearer": dearer, "fewer": fewer, "cheaper": cheaper}
            )
    return tuple(ordered)

"""Hostile input in the back-office: refused with a message naming it (400), never a 500.

The admin turns its query string into ORM lookups and its forms' ids into queries, and some values only
fail when the database reads them: a year of 11 digits (``date(99999999999, 1, 1)`` overflows), an id of
25 digits (SQLite cannot bind it; ``pk__in`` has no overflow guard), ``_selected_action=abc``, a search of
1,000 words (SQLite's expression tree is at most 1,000 deep). Each is checked here before any query runs:

- ``lookup_problem`` for a change list's filter parameters (``?created_at__year=…``, ``?partner__exact=…``,
  the date hierarchy's ``?date__year=…``);
- ``search_problem`` for the change list's search and the autocomplete's term;
- ``value_problem`` for the ids of an action's selected rows and of the forms' choice fields
  (``RefuseMalformedChoicesMixin``: the value becomes a form error, and the widget never queries it).

The admin site's mixins (admin_site.py) apply them to every registered ModelAdmin, whoever wrote it.
"""

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection
from django.db.models import DateField, Field
from django.db.models.constants import LOOKUP_SEP
from django.forms import ModelChoiceField
from django.utils.text import Truncator, smart_split
from django.utils.translation import gettext as _

MAX_SEARCH_TERMS = 20
MAX_SEARCH_LENGTH = 300
MAX_LIST_VALUES = 500  # ``?pk__in=1,2,…``: one query parameter each

# The date parts a filter may name, with their bounds (Python's dates stop at year 9999).
DATE_PARTS = {
    "year": (1, 9999),
    "iso_year": (1, 9999),
    "month": (1, 12),
    "day": (1, 31),
    "week": (1, 53),
    "week_day": (1, 7),
    "iso_week_day": (1, 7),
    "quarter": (1, 4),
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
}
LIST_LOOKUPS = {"in", "range"}
# Text lookups compare strings with strings: any value is valid.
TEXT_LOOKUPS = {"contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "iexact"}
# Never offered by the admin, and a pattern can fail in the database (or run for ever).
REFUSED_LOOKUPS = {"regex", "iregex"}


class BadAdminInput(Exception):
    """A request the back-office refuses, with the message for the person who sent it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def shown(value: str) -> str:
    return Truncator(value).chars(40)


def value_problem(field: Field, value) -> str | None:
    """Why ``value`` cannot be compared with ``field`` in the database, or None."""
    if field.is_relation:  # a foreign key or one-to-one key holds its target's values
        field = field.target_field
    try:
        python_value = field.to_python(value)
    except (ValidationError, ValueError, TypeError, OverflowError):
        return _("“%(value)s” is not a valid value for %(field)s.") % {
            "value": shown(str(value)),
            "field": field.verbose_name,
        }
    internal_type = field.get_internal_type()
    if python_value is not None and internal_type in connection.ops.integer_field_ranges:
        low, high = connection.ops.integer_field_range(internal_type)
        if not (low is None or low <= python_value) or not (high is None or python_value <= high):
            return _("“%(value)s” is out of range for %(field)s.") % {
                "value": shown(str(value)),
                "field": field.verbose_name,
            }
    return None


def _target(field, opts) -> Field:
    """The field a relation's value is compared with (the related model's key)."""
    try:
        return field.target_field
    except (AttributeError, FieldDoesNotExist, ValueError):
        return opts.pk


def lookup_problem(model, key: str, value: str) -> str | None:
    """Why the change-list filter ``key=value`` would fail in the database, or None.

    Keys that name no field are left to the admin, which refuses them itself (IncorrectLookupParameters).
    """
    parts = key.split(LOOKUP_SEP)
    opts, field, lookups = model._meta, None, []
    for position, name in enumerate(parts):
        try:
            field = opts.pk if name == "pk" else opts.get_field(name)
        except FieldDoesNotExist:
            lookups = parts[position:]
            break
        if not (field.is_relation and field.related_model is not None):
            lookups = parts[position + 1 :]  # a plain field: what follows are its transforms and lookup
            break
        opts = field.related_model._meta
    if field is None:
        return None
    if field.is_relation:
        field = _target(field, opts)
    bounds, values = None, [value]
    for name in lookups:
        if name in REFUSED_LOOKUPS:
            return _("The filter %(parameter)s is not allowed.") % {"parameter": key}
        if name == "isnull" or name in TEXT_LOOKUPS:
            return None
        if name in DATE_PARTS:
            bounds = DATE_PARTS[name]
        elif name == "date":
            field = DateField(name=field.name, verbose_name=field.verbose_name)
        elif name in LIST_LOOKUPS:
            values = value.split(",")
            if len(values) > MAX_LIST_VALUES:
                return _("The filter %(parameter)s has more than %(count)d values.") % {
                    "parameter": key,
                    "count": MAX_LIST_VALUES,
                }
    for item in values:
        if item == "":
            continue  # the admin's own filters send empty values; the admin handles them
        if bounds is not None:
            low, high = bounds
            if not (item.strip().isdecimal() and low <= int(item) <= high):
                return _(
                    "The filter %(parameter)s=%(value)s is not valid: a number from %(low)d to %(high)d."
                ) % {
                    "parameter": key,
                    "value": shown(item),
                    "low": low,
                    "high": high,
                }
        elif problem := value_problem(field, item):
            return _("The filter %(parameter)s is not valid: %(problem)s") % {
                "parameter": key,
                "problem": problem,
            }
    return None


def search_problem(term: str) -> str | None:
    """Why a search is refused, or None. A search of many words is one condition per word and field: the
    database refuses a deep enough tree of them, and no one searches a partner by 20 words."""
    if not term:
        return None
    if len(term) > MAX_SEARCH_LENGTH or sum(1 for _bit in smart_split(term)) > MAX_SEARCH_TERMS:
        return _(
            "The search is too long: at most %(terms)d words and %(characters)d characters. Search for fewer words."
        ) % {"terms": MAX_SEARCH_TERMS, "characters": MAX_SEARCH_LENGTH}
    return None


def choice_key_field(field: ModelChoiceField) -> Field:
    model = field.queryset.model
    return model._meta.get_field(field.to_field_name) if field.to_field_name else model._meta.pk


class RefuseMalformedChoicesMixin:
    """A model form whose choice fields refuse ids the database cannot read ("abc", 25 digits).

    Such a value is taken out of the form's data before anything reads it (the autocomplete and raw-id
    widgets query the values they show) and comes back as the field's error: "not one of the choices".
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._malformed_choices = {}
        for name, field in self.fields.items():
            # An initial value from the address (``add/?partner=abc``): shown by the same widgets.
            if isinstance(field, ModelChoiceField) and name in self.initial:
                value = self.initial[name]
                values = value if isinstance(value, list | tuple) else [value]
                key_field = choice_key_field(field)
                if any(isinstance(v, str) and value_problem(key_field, v) for v in values):
                    self.initial = {**self.initial, name: None}
        if not self.is_bound:
            return
        data = None
        for name, field in self.fields.items():
            if not isinstance(field, ModelChoiceField) or field.disabled:
                continue
            html_name = self.add_prefix(name)
            raw = field.widget.value_from_datadict(self.data, self.files, html_name)
            values = raw if isinstance(raw, list | tuple) else [raw]
            key_field = choice_key_field(field)
            bad = [v for v in values if v not in field.empty_values and value_problem(key_field, v)]
            if bad:
                self._malformed_choices[name] = shown(str(bad[0]))
                data = data if data is not None else self.data.copy()
                data.pop(html_name, None)
        if data is not None:
            self.data = data

    def full_clean(self):
        super().full_clean()
        if self._errors is None:
            return
        for name, value in self._malformed_choices.items():
            self.add_error(
                name,
                ValidationError(
                    _("Select a valid choice. %(value)s is not one of the available choices."),
                    code="invalid_choice",
                    params={"value": value},
                ),
            )


def refusing_malformed_choices(form_class: type) -> type:
    if issubclass(form_class, RefuseMalformedChoicesMixin):
        return form_class
    return type(form_class.__name__, (RefuseMalformedChoicesMixin, form_class), {})

"""Dutch (nl_BE) and English number, percentage, p-value, CI, date and euro formats.

Why our own thin layer over Babel: the report needs a few conventions Babel leaves open,
fixed in one place so tables, charts and text agree.

- Rounding is half-up on the shortest decimal form of the value (``repr``), so 2.5 -> 3 and
  12.345 -> 12,35: what a reader gets rounding the number in results.json by hand. (Babel
  alone rounds half-even on the binary float.) A value that rounds to zero loses its sign.
- A formatted value never breaks across lines: the space in ``62,0 %``, ``€ 63.452`` and
  ``p < 0,001`` is a no-break space (U+00A0, ``NBSP``).
- Percentages: Dutch uses a space before ``%`` (Taalunie advice and the 2011 study's style),
  deliberately *not* CLDR's nl_BE pattern ``#,##0%``; English keeps ``62.0%``.
- English means en_GB conventions (31 December 2013, 31/12/2013): the report is Belgian
  and US month-first dates would be ambiguous next to the Dutch edition.
- Missing values (None, NaN, inf) are shown as an en dash ``–``.
- Every formatted number is a ``Printed`` string: the text as printed *and* the number it
  was printed from (unrounded), its kind and its decimals. A table cell made from it
  carries that number to the workbook, so the spreadsheet holds 2/3, not the 0.667 read
  back from '66,7 %'. A string built around it (a sentence, 'a (b–c)') is plain text.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
import numbers
from collections.abc import Sequence
from typing import Any

import babel.core as babel_core
from babel import dates as babel_dates
from babel import numbers as babel_numbers

NBSP = "\u00a0"
MISSING = "–"
_BABEL_LOCALE = {"nl": "nl_BE", "nl_BE": "nl_BE", "en": "en_GB", "en_GB": "en_GB"}


class Printed(str):
    """A formatted number that keeps the number it was formatted from.

    ``kind``: 'count' (an integer ``value``), 'share' (a fraction, printed as a
    percentage), 'estimate' (a float), 'euro' (an amount), 'interval' (``value`` is
    (estimate, lower, upper)), 'share-interval' (the same, printed as percentages),
    'bounds' (``value`` is (lower, upper), an interval without its estimate);
    ``digits``: the decimals printed (of the percentage for a share). Only a published
    number is ever formatted: a hidden cell is its mark ``<5``/``x``, a plain ``str``.
    """

    __slots__ = ("value", "kind", "digits")
    value: Any
    kind: str
    digits: int

    def __new__(cls, text: str, value: Any, kind: str, digits: int = 0) -> Printed:
        self = super().__new__(cls, text)
        self.value, self.kind, self.digits = value, kind, digits
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Printed, (str(self), self.value, self.kind, self.digits))


def _source(value: Any) -> Any:
    """The number as given, as a plain Python int or float (numpy scalars, Decimal)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    return float(value)


def babel_locale(locale: str) -> str:
    """The Babel locale for a report language ('nl' -> nl_BE, 'en' -> en_GB)."""
    try:
        return _BABEL_LOCALE[locale]
    except KeyError:
        raise ValueError(f"onbekende taal {locale!r}: kies nl of en") from None


def _is_dutch(locale: str) -> bool:
    return babel_locale(locale) == "nl_BE"


# Beyond this a number is no estimate a reader can use: an interval bound of a hazard or
# odds ratio of a level without events (exp of a huge coefficient, 1e300) means "not
# bounded". It prints as missing, like an infinite bound, rather than as 300 digits.
LARGEST = decimal.Decimal("1e15")


def _decimal(value: Any) -> decimal.Decimal | None:
    """The value as an exact Decimal of its shortest repr, or None when missing, infinite
    or beyond ``LARGEST`` in size."""
    if value is None:
        return None
    if isinstance(value, decimal.Decimal):
        exact = value
    else:
        number = float(value)
        if not math.isfinite(number):
            return None
        exact = decimal.Decimal(repr(int(value)) if isinstance(value, int) else repr(number))
    return exact if exact.is_finite() and abs(exact) <= LARGEST else None


@functools.cache
def _pattern(digits: int, locale: str) -> tuple[Any, Any]:
    """Babel's parsed number pattern and locale, once per (digits, language): what
    ``format_decimal`` would parse again on every call (a report prints ~10^4 numbers)."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return babel_numbers.parse_pattern(pattern), babel_core.Locale.parse(babel_locale(locale))


def _number(value: decimal.Decimal, digits: int, locale: str) -> str:
    pattern, babel = _pattern(digits, locale)
    with decimal.localcontext(rounding=decimal.ROUND_HALF_UP):
        rounded = value.quantize(decimal.Decimal(1).scaleb(-digits))
        if rounded == 0:
            rounded = abs(rounded)
        return pattern.apply(rounded, babel, decimal_quantization=True)


def integer(value: Any, locale: str = "nl") -> str:
    """1234 -> '1.234' (nl) / '1,234' (en); non-integers are rounded half-up."""
    number = _decimal(value)
    if number is None:
        return MISSING
    text, source = _number(number, 0, locale), _source(value)
    if isinstance(source, float) and source.is_integer():
        source = int(source)
    return Printed(text, source, "count" if isinstance(source, int) else "estimate", 0)


def dec(value: Any, digits: int = 1, locale: str = "nl") -> str:
    """12.345 -> '12,3' (nl) / '12.3' (en) with a fixed number of decimals."""
    number = _decimal(value)
    if number is None:
        return MISSING
    return Printed(_number(number, digits, locale), _source(value), "estimate", digits)


def pct(value: Any, digits: int = 1, locale: str = "nl") -> str:
    """A proportion as a percentage: 0.62 -> '62,0 %' (nl, NBSP) / '62.0%' (en)."""
    number = _decimal(value)
    if number is None:
        return MISSING
    text = _number(number * 100, digits, locale)
    text = f"{text}{NBSP}%" if _is_dutch(locale) else f"{text}%"
    return Printed(text, _source(value), "share", digits)


def pvalue(value: Any, locale: str = "nl", *, prefix: bool = True, digits: int = 3) -> str:
    """'p < 0,001' below 10^-digits, else 'p = 0,042'; prefix=False gives '< 0,001' / '0,042'."""
    number = _decimal(value)
    if number is None:
        return MISSING
    if not 0 <= number <= 1:
        raise ValueError(f"p-waarde buiten [0, 1]: {value!r}")
    floor = decimal.Decimal(1).scaleb(-digits)
    if number < floor:
        text = f"<{NBSP}{_number(floor, digits, locale)}"
        return f"p{NBSP}{text}" if prefix else text
    text = _number(number, digits, locale)
    return f"p{NBSP}={NBSP}{text}" if prefix else Printed(text, _source(value), "estimate",
                                                           digits)


def ci(estimate: Any, lower: Any, upper: Any = None, digits: int = 2, locale: str = "nl") -> str:
    """'0,83 (0,76–0,91)'; ``lower`` may be the (lower, upper) pair.

    With a negative bound the en dash would read as a minus, so the bounds are then
    separated by '; ' (nl, where the comma is the decimal mark) or ', ' (en).
    """
    if upper is None and isinstance(lower, Sequence) and not isinstance(lower, str):
        lower, upper = lower
    est, lo, hi = (dec(v, digits, locale) for v in (estimate, lower, upper))
    if MISSING in (est, lo, hi):
        return est  # a point estimate without bounds is still shown
    negative = lo.startswith("-") or hi.startswith("-")
    sep = ("; " if _is_dutch(locale) else ", ") if negative else "–"
    return Printed(f"{est} ({lo}{sep}{hi})", tuple(_source(v) for v in (estimate, lower, upper)),
                   "interval", digits)


def bounds(lower: Any, upper: Any, digits: int = 2, locale: str = "nl") -> str:
    """'0,76–0,91': an interval (or quartiles, limits) without its estimate; '; ' between
    negative bounds as in ``ci``; '–' (missing) when a bound is."""
    lo, hi = (dec(v, digits, locale) for v in (lower, upper))
    if MISSING in (lo, hi):
        return MISSING
    negative = lo.startswith("-") or hi.startswith("-")
    sep = ("; " if _is_dutch(locale) else ", ") if negative else "–"
    return Printed(f"{lo}{sep}{hi}", (_source(lower), _source(upper)), "bounds", digits)


def pct_ci(estimate: Any, lower: Any, upper: Any, digits: int = 1, locale: str = "nl") -> str:
    """'66,4 % (63,8–68,9)': a share with its interval in percentage points; the share
    alone when a bound is missing."""
    if _decimal(estimate) is None:
        return MISSING
    if _decimal(lower) is None or _decimal(upper) is None:
        return pct(estimate, digits, locale)
    lo, hi = (dec(float(v) * 100, digits, locale) for v in (lower, upper))
    return Printed(f"{pct(estimate, digits, locale)} ({lo}–{hi})",
                   tuple(_source(v) for v in (estimate, lower, upper)), "share-interval",
                   digits)


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def long_date(value: Any, locale: str = "nl") -> str:
    """'31 december 2013' (nl) / '31 December 2013' (en); accepts date, datetime or ISO text."""
    day = _date(value)
    return MISSING if day is None else babel_dates.format_date(day, "d MMMM y",
                                                               locale=babel_locale(locale))


def short_date(value: Any, locale: str = "nl") -> str:
    """'31/12/2013' in both languages (day first, zero-padded)."""
    day = _date(value)
    return MISSING if day is None else babel_dates.format_date(day, "dd/MM/y",
                                                               locale=babel_locale(locale))


def euro(value: Any, digits: int = 0, locale: str = "nl") -> str:
    """'€ 63.452' (nl, NBSP) / '€63,452' (en); whole euros unless digits is given.

    Negative amounts follow CLDR: '€ -1.234' (nl), '-€1,234' (en).
    """
    number = _decimal(value)
    if number is None:
        return MISSING
    text = _number(number, digits, locale)
    if _is_dutch(locale):
        text = f"€{NBSP}{text}"  # CLDR nl_BE: '€ -1.234'
    else:
        text = f"-€{text[1:]}" if text.startswith("-") else f"€{text}"
    return Printed(text, _source(value), "euro", digits)


def register_filters(env: Any, locale: str = "nl") -> None:
    """Add the formats as Jinja2 filters bound to ``locale``.

    ``{{ x|num }} {{ x|dec(1) }} {{ x|pct }} {{ p|pval }} {{ hr|ci(hr_ci) }}
    {{ d|longdate }} {{ d|shortdate }} {{ x|euro }}``; also the global ``MISSING``.
    """
    babel_locale(locale)  # fail early on an unknown language
    env.filters.update({
        "num": lambda v: integer(v, locale),
        "dec": lambda v, digits=1: dec(v, digits, locale),
        "pct": lambda v, digits=1: pct(v, digits, locale),
        "pval": lambda v, prefix=True: pvalue(v, locale, prefix=prefix),
        "ci": lambda v, lower, upper=None, digits=2: ci(v, lower, upper, digits, locale),
        "longdate": lambda v: long_date(v, locale),
        "shortdate": lambda v: short_date(v, locale),
        "euro": lambda v, digits=0: euro(v, digits, locale),
    })
    env.globals["MISSING"] = MISSING

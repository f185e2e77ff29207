"""django-tables2 inspects the signature of a cell's render function for every cell it draws
(django_tables2.utils.call_with_appropriate -> signature -> inspect.signature), to pass only
the arguments the function takes. The answer never changes for a function, so it is worked out
once per function and kept (issue 15, lever 2; bench/table_rows.py measures the per-row cost
before and after).

Kept per underlying function, weakly, so a table's bound methods (a new object on every access)
share one entry and nothing made per request is held on to. A bound method's signature drops
its first parameter, as inspect.signature does.
"""

from __future__ import annotations

import contextlib
import inspect
import weakref

import django_tables2.utils as tables2_utils

_original = tables2_utils.signature
_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def signature(fn):
    function = getattr(fn, "__func__", None)
    bound = function is not None and inspect.isfunction(function)
    key = function if bound else fn
    try:
        found = _cache.get(key)
    except TypeError:  # not weakly referenceable: work it out every time, as before
        return _original(fn)
    if found is None:
        found = _both(key) if bound else (_original(fn), None)
        with contextlib.suppress(TypeError):  # not weakly referenceable: not kept
            _cache[key] = found
    unbound_answer, bound_answer = found
    return bound_answer if bound else unbound_answer


def _both(function) -> tuple:
    """The function's answer, and a bound method's: the first positional parameter (self or
    cls) dropped, as inspect.signature drops it for a bound method."""
    args, keywords = _original(function)
    first = next(iter(inspect.signature(function).parameters.values()), None)
    takes_self = first is not None and first.kind in (
        first.POSITIONAL_ONLY,
        first.POSITIONAL_OR_KEYWORD,
    )
    return (args, keywords), ((args[1:] if takes_self else args), keywords)


def install() -> None:
    tables2_utils.signature = signature


def uninstall() -> None:
    tables2_utils.signature = _original

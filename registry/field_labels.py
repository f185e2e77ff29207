"""Translatable labels for fields whose verbose_name Django derives from the field's name.

`first_name = models.CharField(max_length=100)` is labelled "first name", an English string no
translator can reach. Passing verbose_name=_("first name") would mark it, but a verbose_name
given in the field's arguments is part of the migration state, so every such field would need
a migration that changes nothing in the database. Setting the label on the field once the model
is made marks it without that: the field's arguments (and so its migrations) stay as they are.
"""

from __future__ import annotations


def label_fields(model, **labels) -> None:
    """Give `model`'s fields their (lazy) labels: label_fields(Patient, first_name=_(...))."""
    for name, label in labels.items():
        model._meta.get_field(name).verbose_name = label

"""SQL constraints declared once for Odoo 18.0 and 19.0.

18.0 reads `_sql_constraints = [(name, definition, message)]`; 19.0 ignores that list (with a
warning: no constraint is created) and reads `models.Constraint` class attributes named
`_<name>` instead. Both name the database constraint `<table>_<name>`, so a database keeps its
constraints whichever series created them.

A model keeps its `_sql_constraints` list and takes the `@sql_constraints` decorator: on 19.0
the list becomes `models.Constraint` attributes (and is removed, so no warning).
"""

from odoo import models


def sql_constraints(cls):
    """Class decorator: the model's `_sql_constraints` created on either series."""
    constraints = cls.__dict__.get("_sql_constraints")
    if constraints is None:
        raise TypeError(f"{cls.__name__}: @sql_constraints needs a _sql_constraints list")
    if hasattr(models, "Constraint"):  # 19.0
        del cls._sql_constraints
        for name, definition, message in constraints:
            attribute = f"_{name}"
            constraint = models.Constraint(definition, message)
            setattr(cls, attribute, constraint)
            # Set after the class statement, the attribute missed __set_name__, which is what
            # registers a constraint on the model's definition.
            constraint.__set_name__(cls, attribute)
    return cls


def declared_sql_constraints(model):
    """{name: definition} of the SQL constraints the registry holds for `model`, on either
    series (what a test compares with the database)."""
    table_objects = getattr(model, "_table_objects", None)
    if table_objects is not None:  # 19.0
        return {  # keyed by the database's name there
            obj.name: obj.get_definition(model.pool)
            for obj in table_objects.values()
            if isinstance(obj, models.Constraint)
        }
    return {name: definition for name, definition, _message in model._sql_constraints}

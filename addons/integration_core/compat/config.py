"""Odoo's configuration values whose type changed in 19.0."""


def database_names(config):
    """The databases given with -d/--database: 18.0 keeps the comma-separated text, 19.0 a
    list."""
    names = config.get("db_name") or []
    if isinstance(names, str):
        names = names.split(",")
    return [name.strip() for name in names if name and name.strip()]

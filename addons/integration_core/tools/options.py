"""The suite's own settings: an ``[integration]`` section of the Odoo configuration file.

Odoo 19.0 warns at every start about each option of ``[options]`` it does not know, and no
addon can declare one before Odoo reads the file; a section of its own is read by the suite
only. The names of earlier releases (``integration_<name>`` in ``[options]``) keep working, and
a value a process sets in ``odoo.tools.config`` under that name (a script, a test) wins.

>>> import tempfile
>>> with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
...     _ = f.write("[options]\\nhttp_port = 0\\n[integration]\\nqueue_batch_size = 50\\n")
>>> config = {"config": f.name}
>>> get(config, "queue_batch_size"), get(config, "queue_lease_seconds", 300)
('50', 300)
>>> config["integration_queue_batch_size"] = 7
>>> get(config, "queue_batch_size")
7
"""

import configparser
import functools
import os

SECTION = "integration"
LEGACY_PREFIX = "integration_"


def config_path(config):
    """The configuration file Odoo read: ``config['config']`` (19.0) or ``config.rcfile``."""
    return config.get("config") or getattr(config, "rcfile", None)


def get(config, name, default=None):
    """The value of setting `name`: set in the process or ``[options]`` under its old name
    ``integration_<name>`` (even empty), else the ``[integration]`` section's, else
    `default`."""
    value = config.get(LEGACY_PREFIX + name)
    if value is not None:
        return value
    path = config_path(config)
    if not path or not os.path.isfile(path):
        return default
    section = _section(path, os.stat(path).st_mtime_ns)
    return section.get(name, default) if section.get(name) != "" else default


@functools.lru_cache(maxsize=8)
def _section(path, _mtime):
    """{name: value} of the file's [integration] section (read again when the file changes)."""
    parser = configparser.RawConfigParser()
    parser.read(path)
    return dict(parser.items(SECTION)) if parser.has_section(SECTION) else {}

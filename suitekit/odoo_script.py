"""Runs the Python script read from stdin in an Odoo process on a database, and commits.

    python suitekit/odoo_script.py CONFIG DB ARGS_JSON < SCRIPT

The script gets `env` (superuser) and `args` (ARGS_JSON decoded) and may set `result`, printed
back as JSON on a last line `RESULT ...` (processes.run_in_odoo and result_of). A process of
its own: loading a second registry inside a test process would run Odoo's at-install tests of
every module.
"""

import json
import sys

import odoo
from odoo.modules.registry import Registry


def main(config, db, args):
    odoo.tools.config.parse_config(["-c", config, "-d", db, "--log-level=warn"])
    with Registry(db).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        scope = {"env": env, "args": json.loads(args)}
        exec(sys.stdin.read(), scope)
    print("RESULT " + json.dumps(scope.get("result")))


if __name__ == "__main__":
    main(*sys.argv[1:])

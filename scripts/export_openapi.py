"""Write the suite's OpenAPI document, as Odoo serves it, into the repository.

    python scripts/export_openapi.py -c odoo.conf -d DB

Run it on a database with the four addons installed after changing a route, an inbound event
type or a schema file; tests fail while addons/integration_core/static/openapi/openapi.json
is out of date.
"""

import argparse
import json
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    args = parser.parse_args(argv)
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    registry = Registry(args.database)
    # Importable once the registry has put the addons on the path.
    from odoo.addons.integration_core.controllers.openapi import openapi_document

    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        document = openapi_document(env)
    path = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        "addons",
        "integration_core",
        "static",
        "openapi",
        "openapi.json",
    )
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2, sort_keys=True)
        handle.write("\n")
    print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

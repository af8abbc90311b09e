# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Stock Publication",
    "summary": "Available-to-promise per channel, event-driven and reconciled",
    "version": "1.1.0",
    "category": "Inventory/Inventory",
    "author": "Governed Commerce Sync",
    "website": "https://github.com/governed-commerce-sync/odoo-addons",
    "license": "LGPL-3",
    "depends": ["sale_stock", "integration_core"],
    "external_dependencies": {"python": ["jsonschema"]},
    "data": [
        "security/ir.model.access.csv",
        "security/stock_publication_security.xml",
        "data/ir_cron_data.xml",
        "views/stock_publication_channel_views.xml",
        "views/stock_publication_override_views.xml",
        "views/stock_publication_state_views.xml",
        "views/product_template_views.xml",
        "views/stock_location_views.xml",
        "views/integration_connector_views.xml",
    ],
    "demo": ["demo/stock_publication_demo.xml"],
    "assets": {
        "web.assets_tests": ["stock_publication/static/tests/tours/*.js"],
    },
    "installable": True,
}

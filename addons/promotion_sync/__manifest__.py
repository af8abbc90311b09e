# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Promotion Sync",
    "summary": "Promotions under a controlled release, published and traceable on orders",
    "version": "1.0.0",
    "category": "Sales/Sales",
    "author": "Governed Commerce Sync",
    "website": "https://github.com/governed-commerce-sync/odoo-addons",
    "license": "LGPL-3",
    "depends": ["sale_management", "sale_loyalty", "sale_stock", "integration_core"],
    "external_dependencies": {"python": ["jsonschema"]},
    "data": [
        "security/promotion_sync_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/base_automation_data.xml",
        "views/promotion_snapshot_views.xml",
        "views/loyalty_program_views.xml",
        "views/sale_order_line_views.xml",
        "views/promotion_settlement_wizard_views.xml",
        "views/res_config_settings_views.xml",
        "views/stock_picking_views.xml",
        "views/promotion_settlement_views.xml",
        "views/promotion_settlement_reconciliation_views.xml",
    ],
    "demo": [
        "demo/promotion_demo.xml",
        "demo/promotion_settlement_demo.xml",
    ],
    "assets": {
        "web.assets_tests": ["promotion_sync/static/tests/tours/*.js"],
    },
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
    "installable": True,
}

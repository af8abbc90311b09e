# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Price Governance",
    "summary": "Versioned price changes with approval, effective dating and publication",
    "version": "1.0.0",
    "category": "Sales/Sales",
    "author": "Governed Commerce Sync",
    "website": "https://github.com/governed-commerce-sync/odoo-addons",
    "license": "LGPL-3",
    "depends": ["product", "integration_core"],
    "external_dependencies": {"python": ["jsonschema"]},
    "data": [
        "security/price_governance_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "data/ir_config_parameter_data.xml",
        "data/ir_cron_data.xml",
        "data/base_automation_data.xml",
        "views/price_change_views.xml",
        "views/price_version_views.xml",
        "views/price_change_import_wizard_views.xml",
        "views/product_pricelist_views.xml",
        "views/product_template_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "demo": ["demo/price_governance_demo.xml"],
    "assets": {
        "web.assets_tests": ["price_governance/static/tests/tours/*.js"],
    },
    "uninstall_hook": "uninstall_hook",
    "installable": True,
    "application": True,
}

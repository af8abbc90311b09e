# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Price Governance",
    "summary": "Versioned price changes with approval, effective dating and publication",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "author": "Governed Commerce Sync",
    "website": "https://github.com/governed-commerce-sync/odoo-addons",
    "license": "LGPL-3",
    "depends": ["product", "integration_core"],
    "external_dependencies": {"python": ["jsonschema"]},
    "data": [
        "security/price_governance_security.xml",
        "security/ir.model.access.csv",
        "views/price_change_views.xml",
    ],
    "installable": True,
    "application": True,
}

# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Integration Core",
    "summary": "Governed integration backbone: connectors, encrypted secrets, "
    "outbound queue with retries, dead letters and routed exceptions",
    "version": "1.0.0",
    "category": "Technical/Integration",
    "author": "Governed Commerce Sync",
    "website": "https://github.com/governed-commerce-sync/odoo-addons",
    "license": "LGPL-3",
    "depends": ["base_setup", "mail", "base_automation", "product"],
    "external_dependencies": {
        "python": [
            "requests",
            "jsonschema",
            "jsonschema_rs",
            "orjson",
            "cryptography",
            "pika",
            "prometheus_client",
        ]
    },
    "data": [
        "security/integration_security.xml",
        "security/ir.model.access.csv",
        "data/integration_data_domain_data.xml",
        "data/integration_schema_data.xml",
        "data/ir_cron_data.xml",
        "data/base_automation_data.xml",
        "views/integration_connector_views.xml",
        "views/integration_message_views.xml",
        "views/integration_message_replay_wizard_views.xml",
        "views/integration_approval_views.xml",
        "views/integration_mapping_views.xml",
        "views/res_config_settings_views.xml",
        "views/integration_dashboard_views.xml",
        "views/integration_menus.xml",
    ],
    "demo": ["demo/integration_demo.xml"],
    "assets": {
        "web.assets_backend": ["integration_core/static/src/**/*"],
        "web.assets_tests": ["integration_core/static/tests/tours/*.js"],
    },
    "uninstall_hook": "uninstall_hook",
    "installable": True,
    "application": True,
}

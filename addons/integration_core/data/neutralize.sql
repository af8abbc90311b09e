-- `odoo-bin neutralize` (and database duplication with neutralization): a copy of a
-- production database must never deliver to the production systems of the original.
UPDATE integration_connector SET frozen = true;
INSERT INTO ir_config_parameter (key, value, create_date, write_date)
VALUES ('integration_core.instance_environment', 'test', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
ON CONFLICT (key) DO UPDATE SET value = 'test';

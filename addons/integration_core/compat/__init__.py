"""What differs between Odoo 18.0 and 19.0, one small module per concern, so that models, data
hooks, tests and benchmarks say what they mean once and run on both series:

- `config`: configuration values whose type changed (`db_name` became a list);
- `constraints`: SQL constraints (`_sql_constraints` on 18.0, `models.Constraint` on 19.0);
- `groups`: the fields that link users, groups and their categories (`groups_id` /
  `group_ids`, `users` / `user_ids`, `category_id` / `privilege_id`);
- `cron`: a scheduled action's progress (`_notify_progress` / `_commit_progress`);
- `uom`: whether a quantity converts from one unit into another (categories on 18.0,
  reference units on 19.0);
- `renamed`: fields of Odoo's own models renamed in 19.0 (`sale.order.line.tax_id` /
  `tax_ids`);
- `testing`: whether Odoo is running tests or loading demo data, when a commit must not happen
  (`Registry.in_test_mode()` and the thread's `testing` flag are gone on 19.0).

Each decides by what Odoo offers (or, where a name must be known before any model is loaded,
by `odoo.release`), never by a setting.
"""

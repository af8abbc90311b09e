"""integration_core.compat: what differs between Odoo 18.0 and 19.0, checked against the real
database and registry of whichever series runs the suite.

The silent failure this guards against: 19.0 ignores `_sql_constraints`, so without the compat
declaration no UNIQUE or CHECK constraint is created and, for instance, two messages with one
idempotency key could be queued for one connector.
"""

import psycopg2

from odoo import Command
from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.integration_core.compat import constraints, cron, groups, testing

from .common import IntegrationCase

# Every model of the four addons that declares SQL constraints (there are 14).
CONSTRAINED = {
    "integration.availability.band",
    "integration.connector",
    "integration.connector.granularity",
    "integration.data.domain",
    "integration.event.type",
    "integration.inbound.event",
    "integration.message",
    "integration.metric",
    "integration.product.mapping",
    "integration.schema",
    "integration.uom.mapping",
    "promotion.settlement",
    "promotion.snapshot",
    "stock.publication.channel",
    "stock.publication.override",
    "stock.publication.state",
}


@tagged("post_install", "-at_install")
class TestConstraints(IntegrationCase):
    def _database_constraints(self, table):
        self.env.cr.execute(
            SQL(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = %s::regclass AND contype IN ('u', 'c')",
                table,
            )
        )
        return dict(self.env.cr.fetchall())

    def test_every_declared_constraint_is_in_the_database(self):
        declared_models = {
            name
            for name in self.env.registry
            if self.env[name]._original_module
            in ("integration_core", "price_governance", "promotion_sync", "stock_publication")
            and constraints.declared_sql_constraints(self.env[name])
        }
        self.assertEqual(declared_models, CONSTRAINED)
        for name in CONSTRAINED:
            model = self.env[name]
            declared = constraints.declared_sql_constraints(model)
            self.assertTrue(declared, f"{name} declares no SQL constraint on this series")
            in_database = self._database_constraints(model._table)
            for constraint in declared:
                self.assertIn(f"{model._table}_{constraint}", in_database, name)

    def test_idempotency_key_is_unique_per_connector(self):
        self.env.cr.execute(
            SQL(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
                "integration_message_idempotency_key_uniq",
            )
        )
        self.assertEqual(self.env.cr.fetchall(), [("UNIQUE (connector_id, idempotency_key)",)])
        message = self.enqueue(self.stock_message("A", idempotency_key="compat-one-key"))
        self.env.flush_all()
        # The queue itself never inserts a duplicate (test_enqueue): the database refuses one
        # all the same, inserted behind the ORM's back as a copy with a new id.
        copy = SQL(
            "CREATE TEMP TABLE compat_copy AS SELECT * FROM integration_message WHERE id = %s;"
            " UPDATE compat_copy SET id = nextval('integration_message_id_seq');"
            " INSERT INTO integration_message SELECT * FROM compat_copy",
            message.id,
        )
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(copy)

    def test_the_decorator_needs_a_list(self):
        with self.assertRaises(TypeError):

            @constraints.sql_constraints
            class NoList:
                pass


@tagged("post_install", "-at_install")
class TestGroupFields(TransactionCase):
    def test_field_names_are_those_of_this_series(self):
        users, group = self.env["res.users"], self.env["res.groups"]
        self.assertEqual(users._fields[groups.USER_GROUPS].comodel_name, "res.groups")
        self.assertEqual(group._fields[groups.GROUP_USERS].comodel_name, "res.users")
        self.assertIn(groups.GROUP_CATEGORY, group._fields)

    def test_users_and_groups_read_and_written_through_them(self):
        integration_user = self.env.ref("integration_core.group_integration_user")
        user = self.env["res.users"].create(
            {
                "name": "Compat Clerk",
                "login": "compat.clerk@example.com",
                groups.USER_GROUPS: [Command.link(integration_user.id)],
            }
        )
        self.assertIn(integration_user, groups.user_groups(user))
        self.assertIn(user, groups.group_users(integration_user))
        self.assertTrue(user.has_group("integration_core.group_integration_user"))

    def test_the_addons_groups_are_filed_under_their_category(self):
        """Set by the security files through res.groups._integration_file_groups."""
        admin = self.env.ref("base.user_admin")
        for group_xml_id, category_xml_id in (
            (
                "integration_core.group_integration_user",
                "integration_core.module_category_integration",
            ),
            (
                "integration_core.group_integration_manager",
                "integration_core.module_category_integration",
            ),
            (
                "price_governance.group_price_manager",
                "price_governance.module_category_price_governance",
            ),
            (
                "promotion_sync.group_promotion_manager",
                "integration_core.module_category_integration",
            ),
        ):
            group = self.env.ref(group_xml_id)
            filed = group[groups.GROUP_CATEGORY]
            category = filed if filed._name == "ir.module.category" else filed.category_id
            self.assertEqual(category, self.env.ref(category_xml_id), group_xml_id)
            if "manager" in group_xml_id:
                self.assertIn(admin, groups.group_users(group), group_xml_id)
        # Demo data: Marc prepares prices.
        self.assertTrue(
            self.env.ref("base.user_demo").has_group("price_governance.group_price_user")
        )

    def test_a_category_without_xml_id_gets_no_privilege(self):
        category = self.env["ir.module.category"].create({"name": "No XML id"})
        group = self.env["res.groups"].create({"name": "Filed"})
        if groups.GROUP_CATEGORY == "category_id":
            groups.file_groups(group, category)
            self.assertEqual(group.category_id, category)
        else:
            with self.assertRaises(ValueError):
                groups.file_groups(group, category)


@tagged("post_install", "-at_install")
class TestTestingAndCron(TransactionCase):
    def test_a_test_is_seen_as_one(self):
        self.assertTrue(testing.testing())
        self.assertTrue(testing.testing(self.env))
        self.assertTrue(self.env.registry.ready)
        # A TransactionCase leaves the registry alone: new cursors are real ones.
        self.assertFalse(testing.registry_in_test_mode(self.env.registry))

    def test_progress_is_reported_only_inside_a_scheduled_action(self):
        job = self.env.ref("integration_core.ir_cron_integration_deliver")
        # Outside a scheduled action: nothing to report to, nothing happens.
        cron.report_progress(self.env, done=3, remaining=1)
        job_with_progress, progress = job._add_progress()
        env = job_with_progress.with_context(cron_id=job.id).env
        cron.report_progress(env, done=3, remaining=1)
        self.assertEqual((progress.done, progress.remaining), (3, 1))


@tagged("post_install", "-at_install")
class TestRegistryTestMode(HttpCase):
    def test_an_http_test_holds_the_registry(self):
        """The HTTP server's requests run on the test's transaction: the inbound endpoint
        then stores events on it rather than on a cursor of its own."""
        self.assertTrue(testing.registry_in_test_mode(self.env.registry))

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.integration_core.tools.workflow import workflow_scope

from .common import PriceCase

T0 = datetime(2031, 5, 1, 8, 0, 0)


@tagged("post_install", "-at_install")
class TestVersions(PriceCase):
    def test_versions_are_immutable(self):
        change = self.approved_change([(self.product, self.pricelist, 90.0)])
        version = change.version_ids
        self.assertEqual(version.fixed_price, 90.0)
        self.assertEqual(version.change_line_id, change.line_ids)
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            version.write({"fixed_price": 1.0})
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            version.with_user(self.manager).write({"state": "retired"})
        with self.assertRaisesRegex(UserError, "cannot be changed"), workflow_scope(version._name):
            version.write({"fixed_price": 1.0})
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            version.with_context(price_version_effect=True).write({"state": "retired"})
        with self.assertRaisesRegex(UserError, "created by approving"):
            version.copy()
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            version.unlink()
        self.assertEqual(version.fixed_price, 90.0)

    def test_history_from_product_and_pricelist(self):
        self.approved_change(
            [(self.product, self.pricelist, 90.0)],
            start=self.now() - timedelta(days=2),
            end=self.now() - timedelta(days=1),
        )
        self.approved_change([(self.product, self.pricelist, 95.0)])
        template = self.product.product_tmpl_id
        self.assertEqual(template.price_version_count, 2)
        self.assertEqual(self.pricelist.price_version_count, 2)
        for action in (
            template.action_open_price_versions(),
            self.pricelist.action_open_price_versions(),
        ):
            versions = self.Version.search(action["domain"])
            self.assertEqual(versions.mapped("fixed_price"), [95.0, 90.0])
            self.assertEqual(versions.mapped("version"), [2, 1])

    def test_rollback_creates_a_new_draft_change(self):
        with freeze_time(T0):
            old = self.approved_change([(self.product, self.pricelist, 90.0)], start=T0)
            self.effect()
        with freeze_time(T0 + timedelta(days=1)):
            self.approved_change(
                [(self.product, self.pricelist, 120.0)], start=T0 + timedelta(days=1)
            )
            self.effect()
            self.assertEqual(self.price(), 120.0)
            action = old.version_ids.with_user(self.requester).action_rollback()
            rollback = self.Change.browse(action["res_id"])
            self.assertEqual(rollback.state, "draft")
            self.assertEqual(rollback.source, "rollback")
            self.assertEqual(rollback.rollback_of_version_id, old.version_ids)
            self.assertEqual(rollback.line_ids.fixed_price, 90.0)
            self.assertEqual(rollback.line_ids.pricelist_id, self.pricelist)
        with freeze_time(T0 + timedelta(days=1, hours=1)):
            rollback.write({"effective_from": T0 + timedelta(days=1, hours=1)})
            rollback.with_user(self.requester).action_submit()
            rollback.with_user(self.manager).action_approve()
            self.effect()
            self.assertEqual(self.price(), 90.0)
            self.assertEqual(rollback.version_ids.version, 3)

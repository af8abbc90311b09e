from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from odoo.addons.integration_core.compat.cron import run_time_based_automations
from odoo.addons.integration_core.compat.groups import USER_GROUPS

from .common import IntegrationCase
from .receiver import Fault


@tagged("post_install", "-at_install")
class TestRoutingAndSettings(IntegrationCase):
    def test_unhandled_dead_letter_is_escalated_by_the_time_rule(self):
        boss = self.env["res.users"].create({"name": "Bea Boss", "login": "bea.boss@example.com"})
        self.connector.escalation_user_id = boss
        self.receiver.add_faults(Fault.status(400))
        message = self.enqueue(self.stock_message("OLD"))
        self.process()
        self.assertEqual(message.state, "dead")
        rule = self.env.ref("integration_core.automation_dead_letter_escalation")
        now = fields.Datetime.now()
        rule.last_run = now - timedelta(days=2)
        message.sudo().dead_at = now - timedelta(hours=25)
        run_time_based_automations(self.env)
        escalations = message.activity_ids.filtered(lambda a: a.user_id == boss)
        self.assertEqual(len(escalations), 1)
        self.assertIn("Escalated", escalations.summary)
        # A replayed (handled) message is not escalated.
        handled = self.enqueue(self.stock_message("HANDLED"))
        self.receiver.add_faults(Fault.status(400))
        self.process()
        handled.action_replay()
        handled.sudo().dead_at = now - timedelta(hours=25)
        rule.last_run = now - timedelta(days=2)
        run_time_based_automations(self.env)
        self.assertFalse(handled.activity_ids.filtered(lambda a: a.user_id == boss))

    def test_settings_open_connectors_and_set_escalation(self):
        settings = self.env["res.config.settings"].create({"integration_escalation_hours": 6})
        settings.execute()
        rule = self.env.ref("integration_core.automation_dead_letter_escalation")
        self.assertEqual((rule.trg_date_range, rule.trg_date_range_type), (6, "hour"))
        action = settings.action_open_integration_connectors()
        self.assertEqual(action["res_model"], "integration.connector")
        settings = self.env["res.config.settings"].create(
            {"integration_instance_environment": "staging"}
        )
        settings.execute()
        self.assertEqual(self.env["integration.connector"]._instance_environment(), "staging")

    def test_settings_show_the_real_connector_count(self):
        expected = self.env["integration.connector"].search_count([])
        self.assertGreater(expected, 0)
        # The Settings form as the web client opens it (a new record, the real view).
        admin = self.env.ref("base.user_admin")
        self.assertEqual(
            Form(self.env["res.config.settings"].with_user(admin)).integration_connector_count,
            expected,
        )
        self.make_connector("one-more")
        self.assertEqual(
            Form(self.env["res.config.settings"].with_user(admin)).integration_connector_count,
            expected + 1,
        )

    def test_parallel_deliverers_setting_makes_that_many_delivery_jobs(self):
        Settings = self.env["res.config.settings"]
        first = self.env.ref("integration_core.ir_cron_integration_deliver")
        Settings.create({"integration_delivery_workers": 4}).execute()
        crons = self.Message._delivery_crons()
        self.assertEqual(len(crons), 4)
        self.assertIn(self.env.ref("integration_core.ir_cron_integration_deliver_4"), crons)
        self.assertEqual(set(crons.mapped("code")), {"model._cron_deliver()"})
        self.assertEqual(set(crons.mapped("interval_number")), {first.interval_number})
        Settings.create({"integration_delivery_workers": 1}).execute()
        self.assertEqual(self.Message._delivery_crons(), first)
        slot_4 = self.env.ref("integration_core.ir_cron_integration_deliver_4")
        self.assertFalse(slot_4.active, "archived, not deleted: an admin's tuning stays")
        Settings.create({"integration_delivery_workers": 3}).execute()
        self.assertEqual(len(self.Message._delivery_crons()), 3)
        self.assertFalse(slot_4.active)
        with self.assertRaisesRegex(ValidationError, "between 1 and 64"):
            Settings.create({"integration_delivery_workers": 0})

    def test_connectors_and_messages_of_other_companies_are_invisible(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        theirs = self.make_connector("theirs", company_id=other.id)
        self.enqueue(self.stock_message("X", connector=theirs))
        user = self.env["res.users"].create(
            {
                "name": "Uma User",
                "login": "uma@example.com",
                "company_id": self.env.company.id,
                "company_ids": [(6, 0, [self.env.company.id])],
                USER_GROUPS: [(6, 0, [self.env.ref("integration_core.group_integration_user").id])],
            }
        )
        Connector = self.env["integration.connector"].with_user(user)
        self.assertNotIn(theirs, Connector.search([]))
        self.assertIn(self.connector, Connector.search([]))
        self.assertFalse(
            self.env["integration.message"]
            .with_user(user)
            .search([("connector_id", "=", theirs.id)])
        )

    def test_users_cannot_configure_connectors(self):
        from odoo.exceptions import AccessError

        with self.assertRaises(AccessError):
            self.connector.with_user(self.responsible).write({"base_url": "https://evil.example"})

    def test_rate_limit_spaces_requests(self):
        self.connector.rate_limit = 20  # burst of 20, then one every 50 ms
        self.enqueue(*[self.stock_message(f"R{i}") for i in range(30)])
        self.process()
        times = [r.received_at for r in self.receiver.deliveries()]
        self.assertEqual(len(times), 30)
        # Ten requests beyond the burst at 20/s take at least half a second.
        self.assertGreaterEqual(times[-1] - times[0], 0.45)


@tagged("post_install", "-at_install")
class TestRetention(IntegrationCase):
    def test_old_finished_messages_are_removed_in_batches_dead_letters_stay(self):
        self.env["ir.config_parameter"].sudo().set_param("integration_core.retention_days", 30)
        messages = self.enqueue(*[self.stock_message(f"RET-{i}") for i in range(7)])
        sent_old, sent_old2, superseded_old, cancelled_old, dead_old, pending_old, sent_new = (
            messages
        )
        (sent_old | sent_old2 | sent_new).write({"state": "sent"})
        superseded_old.write({"state": "superseded"})
        cancelled_old.write({"state": "cancelled"})
        dead_old.write({"state": "dead"})
        sent_old.message_post(body="a note that goes with it")
        old = messages - sent_new
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE integration_message SET write_date = now() - interval '40 days' WHERE id = ANY(%s)",
            [old.ids],
        )
        removed = self.Message._cron_cleanup(batch_size=2)
        self.assertEqual(removed, 4)
        self.assertEqual(
            self.Message.search([("id", "in", messages.ids)]), dead_old | pending_old | sent_new
        )
        self.assertFalse(
            self.env["mail.message"].search(
                [("model", "=", "integration.message"), ("res_id", "=", sent_old.id)]
            )
        )

    def test_retention_zero_keeps_everything(self):
        self.env["ir.config_parameter"].sudo().set_param("integration_core.retention_days", 0)
        self.assertEqual(self.Message._cron_cleanup(), 0)

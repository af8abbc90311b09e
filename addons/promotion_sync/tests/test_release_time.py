"""Programs start and end at a time of day in the company's time zone, on the minute."""

import doctest
from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from ..tools import eligibility, local_time
from .common import PromotionCase


@tagged("post_install", "-at_install")
class TestReleaseTime(PromotionCase):
    def test_tools_doctests(self):
        for module in (local_time, eligibility):
            failures, _tests = doctest.testmod(module)
            self.assertFalse(failures, module.__name__)

    def test_release_at_18_00_in_the_company_zone_starts_within_a_minute(self):
        self.env.company.partner_id.tz = "America/New_York"  # UTC-5 in December
        with freeze_time(datetime(2031, 12, 4, 12, 0)):
            program = self.make_program(discount=20)
            program.with_user(self.requester).write(
                {"release_date": date(2031, 12, 4), "release_time": 18.0}
            )
            self.assertEqual(program.release_at, datetime(2031, 12, 4, 23, 0))
            self.assertEqual(program.release_tz, "America/New_York")
            self.assertEqual(
                (program.release_date, program.release_time), (date(2031, 12, 4), 18.0)
            )
            self.release(program)
            self.assertEqual(program.release_state, "scheduled")
            # The release Scheduled Action is woken at that minute, not at its next period.
            cron = self.env.ref("promotion_sync.ir_cron_promotion_release_schedule")
            triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
            self.assertIn(datetime(2031, 12, 4, 23, 0), triggers.mapped("call_at"))
        with freeze_time(datetime(2031, 12, 4, 22, 59, 30)):
            self.env["loyalty.program"]._cron_release_schedule()
            self.assertEqual(program.release_state, "scheduled")
            order = self.make_order((self.desk, 1))
            self.assertFalse(self.apply_promotions(order), "not yet at 17:59")
        with freeze_time(datetime(2031, 12, 4, 23, 0, 20)):
            self.env["loyalty.program"]._cron_release_schedule()
            self.assertEqual(program.release_state, "active")
            order = self.make_order((self.desk, 1))
            self.assertTrue(self.apply_promotions(order), "live at 18:00 local")

    def test_expiry_wakes_the_scheduled_action_too(self):
        self.env.company.partner_id.tz = "Europe/Brussels"
        now = datetime(2031, 6, 1, 8, 0)
        with freeze_time(now):
            program = self.make_program()
            program.with_user(self.requester).write(
                {
                    "release_date": date(2031, 6, 1),
                    "release_time": 9.0,
                    "expire_date": date(2031, 6, 2),
                    "expire_time": 20.5,
                }
            )
            self.assertEqual(program.expire_at, datetime(2031, 6, 2, 18, 30))  # UTC+2 in June
            self.release(program)
            self.assertEqual(program.release_state, "active")
            cron = self.env.ref("promotion_sync.ir_cron_promotion_release_schedule")
            triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
            self.assertIn(datetime(2031, 6, 2, 18, 30), triggers.mapped("call_at"))
        with freeze_time(datetime(2031, 6, 2, 18, 30) + timedelta(seconds=30)):
            self.env["loyalty.program"]._cron_release_schedule()
            self.assertEqual(program.release_state, "expired")

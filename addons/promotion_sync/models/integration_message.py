# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class IntegrationMessage(models.Model):
    _inherit = "integration.message"

    def _on_acknowledged(self):
        """Promotion messages: a channel's rejection is noted on the program and routed to
        whoever asked for its release (the connector's responsible gets the others)."""
        promotions = self.filtered(
            lambda m: m.res_model == "loyalty.program" and m.res_id and m.ack_state == "rejected"
        )
        super(IntegrationMessage, self - promotions)._on_acknowledged()
        programs = self.env["loyalty.program"].sudo().browse(set(promotions.mapped("res_id")))
        for program in programs.exists():
            mine = promotions.filtered(lambda m, p=program: m.res_id == p.id)
            text = "; ".join(
                self.env._(
                    "%(channel)s rejected version %(version)s: %(reason)s",
                    channel=m.connector_id.name,
                    version=m.source_version,
                    reason=m.ack_reason,
                )
                for m in mine[:10]
            )
            program.message_post(body=text)
            user = program.requested_by_id or program.create_uid
            if user:
                program.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._("A channel rejected promotion %s", program.name),
                    note=text,
                    user_id=user.id,
                )

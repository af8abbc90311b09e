# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class IntegrationMessage(models.Model):
    _inherit = "integration.message"

    def _route_dead_letters(self):
        """Also tell the price change: a dead price message is noted on the change and routed
        to its requester as an activity."""
        result = super()._route_dead_letters()
        prices = self.filtered(lambda m: m.res_model == "price.version" and m.res_id)
        if prices:
            versions = self.env["price.version"].sudo().browse(prices.mapped("res_id")).exists()
            for change in versions.change_id:
                messages = prices.filtered(lambda m, c=change: m.res_id in c.version_ids.ids)
                text = "; ".join(
                    f"{m.connector_id.name}: {m.error_message or m.error_category}"
                    for m in messages[:5]
                )
                change.message_post(
                    body=self.env._(
                        "Publication failed for %(n)s message(s): %(text)s",
                        n=len(messages),
                        text=text,
                    )
                )
                change._notify_requester(self.env._("Price publication failed"), text)
        return result

    def _on_acknowledged(self):
        """Price messages: a rejection is noted on the price change and routed to its
        requester (not to the connector's responsible); an acknowledgement may be the last a
        change waited for, which is then published at once."""
        prices = self.filtered(lambda m: m.res_model == "price.version" and m.res_id)
        super(IntegrationMessage, self - prices)._on_acknowledged()
        if not prices:
            return
        versions = self.env["price.version"].sudo().browse(set(prices.mapped("res_id"))).exists()
        for change in versions.change_id:
            rejected = prices.filtered(
                lambda m, c=change: m.ack_state == "rejected" and m.res_id in c.version_ids.ids
            )
            if rejected:
                change._note_rejections(rejected)
        versions.change_id.filtered(lambda c: c.state == "effective")._check_publication()

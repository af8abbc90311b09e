# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models


class IntegrationDashboard(models.AbstractModel):
    _inherit = "integration.dashboard"

    @api.model
    def _operations_sections(self, connectors, now):
        """Stale stock per channel (the channel's own rule, is_stale), for callers who may
        read the channels: two grouped reads, with their rules."""
        sections = super()._operations_sections(connectors, now)
        States = self.env["stock.publication.state"]
        if not States.has_access("read"):
            return sections
        _ = self.env._
        channels = self.env["stock.publication.channel"].search(
            [("connector_id", "in", connectors.ids)]
        )
        base = [("channel_id", "in", channels.ids)]
        published = dict(States._read_group(base, ["channel_id"], ["__count"]))
        stale = dict(
            States._read_group([*base, ("is_stale", "=", True)], ["channel_id"], ["__count"])
        )
        rows = []
        for channel in channels:
            domain = [("channel_id", "=", channel.id)]
            rows.append(
                {
                    "label": channel.name,
                    "cells": {
                        "published": {
                            "value": published.get(channel, 0),
                            "action": self._operations_action(
                                _("Published stock: %s", channel.name), States._name, domain
                            ),
                        },
                        "stale": {
                            "value": stale.get(channel, 0),
                            "action": self._operations_action(
                                _("Stale products: %s", channel.name),
                                States._name,
                                [*domain, ("is_stale", "=", True)],
                            ),
                        },
                    },
                }
            )
        sections.append(
            {
                "key": "stock",
                "title": _("Stock"),
                "note": _(
                    "Products per stock channel, and those whose quantity was not confirmed "
                    "within the channel's window (stale)."
                ),
                "columns": [
                    {"key": "published", "label": _("Products")},
                    {"key": "stale", "label": _("Stale")},
                ],
                "rows": rows,
                "empty": _("No stock channel."),
            }
        )
        return sections

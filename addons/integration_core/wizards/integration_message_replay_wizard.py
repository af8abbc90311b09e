# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class IntegrationMessageReplayWizard(models.TransientModel):
    """Confirm the replay of dead letters a newer message of their key already replaced on
    the channel: replayed, their older value becomes the newest one there."""

    _name = "integration.message.replay.wizard"
    _description = "Confirm Replay of Outdated Messages"

    message_ids = fields.Many2many("integration.message", string="Messages", readonly=True)
    outdated_ids = fields.Many2many(
        "integration.message",
        "integration_message_replay_wizard_outdated_rel",
        string="Outdated",
        readonly=True,
        help="A newer message with the same coalescing key was already sent to the channel.",
    )

    def action_confirm(self):
        """Replay the messages, the outdated ones too. action_replay checks the caller again;
        the context flag is the user's confirmation, not a privilege."""
        self.ensure_one()
        return self.message_ids.with_context(integration_replay_outdated=True).action_replay()

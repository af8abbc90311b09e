# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class Base(models.AbstractModel):
    _inherit = "base"

    def _integration_publish(
        self,
        domain,
        event_type,
        payloads,
        connectors=None,
        schema=None,
        priority="normal",
        coalescing_keys=None,
        idempotency_keys=None,
        versions=None,
    ):
        """Queue one message per record of self and per connector.

        The one publication API the domain addons share. `payloads`, and the optional
        `coalescing_keys`, `idempotency_keys` and `versions`, are lists in the order of self.
        `connectors` defaults to every active connector of the current companies that may
        receive the data domain (allowed it, and not its system of record). Idempotency keys get the connector's code appended, so one key per
        record serves every connector. Returns the integration.message records created.
        """
        if connectors is None:
            connectors = self.env["integration.connector"]._receivers_of(domain)
        messages = []
        for index, record in enumerate(self):
            for connector in connectors:
                key = idempotency_keys[index] if idempotency_keys else None
                messages.append(
                    {
                        "connector": connector,
                        "domain": domain,
                        "event_type": event_type,
                        "payload": payloads[index],
                        "schema": schema,
                        "priority": priority,
                        "record": record,
                        "coalescing_key": coalescing_keys[index] if coalescing_keys else None,
                        "idempotency_key": f"{key}:{connector.code}" if key else None,
                        "source_version": versions[index] if versions else None,
                    }
                )
        return self.env["integration.message"].sudo()._enqueue(messages)

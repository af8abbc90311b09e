# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models
from odoo.exceptions import AccessError


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
        scopes=None,
    ):
        """Queue one message per record of self and per connector.

        The one publication API the domain addons share. `payloads`, and the optional
        `coalescing_keys`, `idempotency_keys` and `versions`, are lists in the order of self.
        `connectors` defaults to every active connector of the current companies that may
        receive the data domain (allowed it, and not its system of record). Idempotency
        keys get the connector's code appended, so one key per record serves every
        connector. `scopes`: per record, {model name: [ids]} of the records its payload
        carries (products, pricelists...); a connector gets only the records whose every
        carried record is within its scope (integration.connector._in_scope), the others
        are left out for it, not refused. Returns the integration.message records created.
        """
        if connectors is None:
            connectors = self.env["integration.connector"]._receivers_of(domain)
        receiving = {c: set(self._integration_indexes_in_scope(c, scopes)) for c in connectors}
        messages = []
        for index, record in enumerate(self):
            for connector in connectors:
                if index not in receiving[connector]:
                    continue
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
                        "scope": scopes[index] if scopes else None,
                    }
                )
        return self.env["integration.message"].sudo()._enqueue(messages)

    def _integration_indexes_in_scope(self, connector, scopes):
        """Indexes (in the order of self) of the records `connector` may receive: those
        whose every carried record (`scopes`, see _integration_publish) is in its scope.
        One query per kind of carried record."""
        if not scopes:
            return range(len(self))
        wanted = {}
        for scope in scopes:
            for model, ids in scope.items():
                wanted.setdefault(model, set()).update(ids)
        allowed = {model: connector._in_scope(model, ids) for model, ids in wanted.items()}
        return [
            index
            for index, scope in enumerate(scopes)
            if all(set(ids) <= allowed[model] for model, ids in scope.items())
        ]

    def _integration_check_caller(self, group, operation="read"):
        """Refuse the current user unless they belong to `group` (an XML id) and may
        `operation` these records (access rights and record rules).

        For public methods, which any logged-in user can call over RPC on any ids: call it
        first, before the method writes with sudo or SQL. Code that already runs as
        superuser passes (RPC calls never do)."""
        if self.env.su:
            return
        if not self.env.user.has_group(group):
            raise AccessError(
                self.env._(
                    "Only members of %(group)s may do this on %(model)s.",
                    group=self.env.ref(group).sudo().full_name,
                    model=self._description,
                )
            )
        self.check_access(operation)

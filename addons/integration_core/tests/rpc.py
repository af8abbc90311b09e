"""The XML-RPC client of the tests that act over the wire as a logged-in account would."""

import xmlrpc.client

from odoo.tests import get_db_name
from odoo.tools import mute_logger

# What the server logs of a refused call: silenced while a test provokes one.
RPC_LOGGERS = ("odoo.http", "odoo.addons.base.controllers.rpc", "odoo.service.model")


class XmlRpcClientMixin:
    """For an HttpCase with `db` (the test database) and `rpc_password(user)`."""

    @property
    def db(self):
        return get_db_name()

    def rpc_password(self, user):
        raise NotImplementedError

    def xmlrpc(self, user, model, method, *args, **kwargs):
        """execute_kw on /xmlrpc/2/object as `user`: the result, or the Fault raised."""
        self.env.flush_all()
        try:
            with mute_logger(*RPC_LOGGERS):
                return self.xmlrpc_object.execute_kw(
                    self.db, user.id, self.rpc_password(user), model, method, list(args), kwargs
                )
        except xmlrpc.client.Fault as fault:
            return fault
        finally:
            self.env.invalidate_all()

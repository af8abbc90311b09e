# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import http
from odoo.http import request

from odoo.addons.integration_core.tools import strict_json

from ..tools.eligibility import CartError


class PromotionEligibility(http.Controller):
    @http.route(
        "/integration/promotion/eligibility",
        type="http",
        auth="user",
        methods=["POST"],
        csrf=False,
    )
    def eligibility(self, **kwargs):
        """JSON POST {"lines": [{"sku", "qty", "price"}], "codes": [...]}: the approved
        promotions the cart gets, answered from snapshots (never from unapproved rules)."""
        try:
            cart = strict_json.loads(request.httprequest.get_data(cache=False))
        except ValueError as exc:
            return request.make_json_response({"error": f"The body is not JSON: {exc}"}, status=400)
        try:
            answer = request.env["loyalty.program"]._promotion_eligibility(cart)
        except CartError as exc:
            return request.make_json_response({"error": str(exc)}, status=400)
        return request.make_json_response(answer)

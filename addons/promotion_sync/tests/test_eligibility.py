import json
import time

from odoo import Command
from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.integration_core.tools import signing

from ..tools import eligibility
from .common import PromotionSetup

URL = "/integration/t-checkout/promotion/eligibility"


@tagged("post_install", "-at_install")
class TestEligibilityRules(TransactionCase):
    """The evaluation itself, on plain data."""

    def snapshot(self, program_id, discount, skus=None, combinable=False, **reward):
        return {
            "program_id": program_id,
            "version": 1,
            "content": {
                "name": f"P{program_id}",
                "combinable": combinable,
                "rules": [{"mode": "auto", "minimum_qty": 1, "minimum_amount": 0, "skus": skus}],
                "rewards": [
                    {
                        "reward_type": "discount",
                        "discount": discount,
                        "discount_mode": "percent",
                        "discount_applicability": "order",
                        **reward,
                    }
                ],
            },
        }

    def test_best_non_combinable_wins_and_combinable_stack(self):
        lines, _codes = eligibility.parse_cart(
            {"lines": [{"sku": "A", "qty": 2, "price": 50}, {"sku": "B", "qty": 1, "price": 100}]}
        )
        result = eligibility.evaluate(
            lines,
            [
                self.snapshot(1, 10),
                self.snapshot(2, 20),
                self.snapshot(3, 5, combinable=True),
                self.snapshot(4, 50, skus=["Z"]),
            ],
        )
        self.assertEqual([p["program_id"] for p in result["programs"]], [2, 3])
        self.assertEqual(result["discount_total"], 50.0)

    def test_specific_products_cap_and_codes(self):
        lines, codes = eligibility.parse_cart(
            {
                "lines": [
                    {"sku": "A", "qty": 1, "price": 200},
                    {"sku": "B", "qty": 1, "price": 10},
                ],
                "codes": ["SAVE"],
            }
        )
        specific = self.snapshot(
            1, 50, discount_applicability="specific", discount_skus=["A"], discount_max_amount=60
        )
        coded = self.snapshot(2, 10, combinable=True)
        coded["content"]["rules"][0].update(mode="with_code", code="SAVE")
        wrong_code = self.snapshot(3, 10, combinable=True)
        wrong_code["content"]["rules"][0].update(mode="with_code", code="OTHER")
        result = eligibility.evaluate(lines, [specific, coded, wrong_code], codes)
        self.assertEqual(
            {p["program_id"]: p["discount"] for p in result["programs"]}, {1: 60.0, 2: 21.0}
        )

    def test_bad_carts(self):
        for cart in (
            None,
            {},
            {"lines": []},
            {"lines": [{"sku": "", "qty": 1, "price": 1}]},
            {"lines": [{"sku": "A", "qty": 0, "price": 1}]},
            {"lines": [{"sku": "A", "qty": 1, "price": -1}]},
            {"lines": [{"sku": "A", "qty": True, "price": 1}]},
            {"lines": [{"sku": "A", "qty": 1, "price": 1}], "codes": "X"},
        ):
            with self.assertRaises(eligibility.CartError, msg=cart):
                eligibility.parse_cart(cart)


@tagged("post_install", "-at_install")
class TestEligibilityEndpoint(PromotionSetup, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_promotions()
        cls.live = cls.release(
            cls.make_program(discount=20, release_at=cls.hours(-1), expire_at=cls.hours(24))
        )
        # Approved but not yet released, and a draft: neither may answer.
        cls.release(cls.make_program(discount=50, name="Later", release_at=cls.hours(25)))
        cls.make_program(discount=70, name="Draft")
        cls.engine = cls.env["integration.connector"].create(
            {
                "name": "Promotion engine",
                "code": "t-engine",
                "base_url": "http://127.0.0.1:9",
                "environment": "test",
            }
        )
        # The checkout server: a connector that may exchange promotion data and signs its
        # requests as connectors sign events (Standard Webhooks).
        cls.secret = signing.new_webhook_secret()
        cls.checkout = cls.env["integration.connector"].create(
            {
                "name": "Checkout",
                "code": "t-checkout",
                "kind": "ecommerce",
                "inbound_enabled": True,
                "allowed_domain_ids": [
                    (6, 0, [cls.env.ref("integration_core.domain_promotion").id])
                ],
            }
        )
        cls.checkout.inbound_secret_input = cls.secret

    def post(self, body, secret=None, url=URL, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        signed = signing.webhook_headers(secret or self.secret, f"req-{time.time_ns()}", data)
        return self.url_open(
            url,
            data=data,
            headers={"Content-Type": "application/json", **signed, **(headers or {})},
        )

    CART = {
        "lines": [
            {"sku": "T-DESK", "qty": 2, "price": 100.0},
            {"sku": "T-LAMP", "qty": 1, "price": 20.0},
        ]
    }

    def test_answers_from_the_snapshot_in_force(self):
        response = self.post(self.CART)
        self.assertEqual(response.status_code, 200, response.text)
        answer = response.json()
        self.assertEqual(answer["source"], "snapshot")
        self.assertEqual(len(answer["programs"]), 1)
        self.assertEqual(answer["programs"][0]["program_id"], self.live.id)
        self.assertEqual(answer["programs"][0]["version"], 1)
        self.assertEqual(answer["discount_total"], 40.0)

    def test_pending_change_keeps_the_approved_version(self):
        self.live.with_user(self.requester).write(
            {"reward_ids": [Command.update(self.live.reward_ids.id, {"discount": 90})]}
        )
        self.assertEqual(self.live.release_state, "draft")
        answer = self.post(self.CART).json()
        self.assertEqual(answer["discount_total"], 40.0, "the unapproved 90 % never answers")

    def test_bad_input(self):
        response = self.post(b"not json")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"], "invalid_json")
        response = self.post({"lines": [{"sku": "T-DESK", "qty": -1, "price": 1}]})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"], "invalid_cart")
        self.assertIn("qty", response.json()["message"])

    @mute_logger("odoo.addons.integration_core.inbound.security")
    def test_a_calling_system_authenticates_as_its_connector_not_with_a_session(self):
        data = json.dumps(self.CART).encode()
        # A browser session is not enough: no signature, no answer.
        self.authenticate("admin", "admin")
        response = self.url_open(URL, data=data, headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["error"], "unauthorized")
        self.authenticate(None, None)
        self.assertEqual(self.post(self.CART, secret=signing.new_webhook_secret()).status_code, 401)
        other = "/integration/t-nobody/promotion/eligibility"
        self.assertEqual(self.post(self.CART, url=other).status_code, 401, "same answer")
        # A connector not allowed promotion data gets nothing.
        stock = self.env.ref("integration_core.domain_stock")
        self.checkout.allowed_domain_ids = [(6, 0, [stock.id])]
        response = self.post(self.CART)
        self.assertEqual(
            (response.status_code, response.json()["error"]), (403, "domain_not_allowed")
        )
        self.checkout.allowed_domain_ids = [
            (6, 0, [self.env.ref("integration_core.domain_promotion").id])
        ]
        self.checkout.frozen = True
        self.assertEqual(self.post(self.CART).status_code, 423)
        self.checkout.frozen = False
        self.assertEqual(self.url_open(URL).status_code, 405, "GET")
        response = self.post(self.CART, headers={"Content-Type": "text/plain"})
        self.assertEqual(response.status_code, 415)
        self.assertEqual(self.post(self.CART).status_code, 200)

    def test_fallback_when_the_engine_is_frozen_or_its_circuit_open(self):
        self.env.ref("integration_core.domain_promotion").owner_connector_id = self.engine
        self.assertEqual(self.post(self.CART).json()["source"], "snapshot")
        self.engine.frozen = True
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("promotion_sync.eligibility_fallback", "no_discount")
        answer = self.post(self.CART).json()
        self.assertEqual((answer["source"], answer["discount_total"]), ("no_discount", 0))
        self.assertEqual(answer["engine_unavailable"], self.engine.display_name)
        params.set_param("promotion_sync.eligibility_fallback", "last_snapshot")
        answer = self.post(self.CART).json()
        self.assertEqual(
            (answer["source"], answer["discount_total"]), ("last_known_snapshot", 40.0)
        )
        self.engine.write({"frozen": False})
        self.engine.sudo().write({"circuit_state": "open", "circuit_open_until": self.hours(1)})
        params.set_param("promotion_sync.eligibility_fallback", "no_discount")
        self.assertEqual(self.post(self.CART).json()["source"], "no_discount")

    def test_settings_field(self):
        settings = self.env["res.config.settings"].create(
            {"promotion_eligibility_fallback": "last_snapshot"}
        )
        settings.execute()
        self.assertEqual(
            self.env["ir.config_parameter"].sudo().get_param("promotion_sync.eligibility_fallback"),
            "last_snapshot",
        )

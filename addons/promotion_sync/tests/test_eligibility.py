import doctest
import json
import sys
import time
from pathlib import Path

from odoo import Command
from odoo.tests import HttpCase, TransactionCase, common, tagged
from odoo.tools import mute_logger

from odoo.addons.integration_core.tools import signing

from ..tools import eligibility
from .common import PromotionSetup

try:
    from suitekit.promotion_engine import PromotionEngine
except ImportError:  # Odoo's own test runner: the repository's root is not on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from suitekit.promotion_engine import PromotionEngine

URL = "/integration/t-checkout/promotion/eligibility"


@tagged("post_install", "-at_install")
class TestEligibilityRules(PromotionSetup, TransactionCase):
    """What a cart gets, computed by Odoo's loyalty code on the approved snapshots."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_promotions()

    def eligibility(self, cart):
        return self.env["loyalty.program"]._promotion_eligibility(cart)

    def test_doctests(self):
        self.assertEqual(doctest.testmod(eligibility).failed, 0)

    def test_per_point_reward(self):
        """5 per point, a point per chair: three chairs give 15 (the arithmetic beside Odoo's
        code gave 0)."""
        program = self.release(
            self.make_program(
                self.chair,
                name="5 per chair",
                release_at=self.hours(-1),
                rule_ids=[
                    Command.create(
                        {
                            "product_ids": [Command.set(self.chair.ids)],
                            "reward_point_mode": "unit",
                            "reward_point_amount": 1,
                        }
                    )
                ],
                reward_ids=[
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount_mode": "per_point",
                            "discount": 5,
                            "discount_applicability": "order",
                            "required_points": 1,
                        }
                    )
                ],
            )
        )
        self.assertEqual(program.release_state, "active")
        answer = self.eligibility({"lines": [{"sku": "T-CHAIR", "qty": 3, "price": 50.0}]})
        self.assertEqual(answer["source"], "snapshot")
        self.assertEqual([p["program_id"] for p in answer["programs"]], [program.id])
        self.assertEqual(answer["discount_total"], 15.0)

    def test_free_products_counted_as_often_as_earned(self):
        """Buy two desks, get a lamp: four desks give two lamps at the cart's price (the
        arithmetic beside Odoo's code gave one, from the first line only)."""
        program = self.release(
            self.make_program(
                self.desk,
                name="Lamp with two desks",
                release_at=self.hours(-1),
                program_type="buy_x_get_y",
                rule_ids=[
                    Command.create(
                        {
                            "product_ids": [Command.set(self.desk.ids)],
                            "reward_point_mode": "unit",
                            "reward_point_amount": 1,
                            "minimum_qty": 2,
                        }
                    )
                ],
                reward_ids=[
                    Command.create(
                        {
                            "reward_type": "product",
                            "reward_product_id": self.lamp.id,
                            "reward_product_qty": 1,
                            "required_points": 2,
                        }
                    )
                ],
            )
        )
        cart = {
            "lines": [
                {"sku": "T-LAMP", "qty": 1, "price": 18.0},
                {"sku": "T-DESK", "qty": 4, "price": 100.0},
            ]
        }
        answer = self.eligibility(cart)
        (given,) = answer["programs"]
        self.assertEqual((given["program_id"], given["version"]), (program.id, 1))
        self.assertEqual(given["reward_type"], "product")
        self.assertEqual(given["free_products"], [{"sku": "T-LAMP", "qty": 2.0}])
        self.assertEqual(given["free_skus"], ["T-LAMP"])
        self.assertEqual(answer["discount_total"], 36.0)
        # One desk short of a second lamp: one lamp.
        cart["lines"][1]["qty"] = 3
        self.assertEqual(self.eligibility(cart)["programs"][0]["free_products"][0]["qty"], 1.0)

    def test_codes_unknown_skus_and_nothing_left_behind(self):
        """A code program applies only with its code; a SKU Odoo does not know counts for the
        order's total; the check leaves no order, program, product or partner behind."""
        coded = self.release(
            self.make_program(
                self.desk,
                discount=10,
                name="SAVE10",
                release_at=self.hours(-1),
                trigger="with_code",
                program_type="promo_code",
                rule_ids=[Command.create({"mode": "with_code", "code": "SAVE10"})],
                reward_ids=[
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount": 10,
                            "discount_mode": "percent",
                            "discount_applicability": "order",
                        }
                    )
                ],
            )
        )
        counts = {
            model: self.env[model].with_context(active_test=False).search_count([])
            for model in ("sale.order", "loyalty.program", "product.product", "res.partner")
        }
        cart = {
            "lines": [
                {"sku": "T-DESK", "qty": 1, "price": 100.0},
                {"sku": "NOT-IN-ODOO", "qty": 2, "price": 50.0},
            ]
        }
        self.assertEqual(self.eligibility(cart)["programs"], [])
        answer = self.eligibility(dict(cart, codes=["SAVE10"]))
        self.assertEqual([p["program_id"] for p in answer["programs"]], [coded.id])
        self.assertEqual(answer["discount_total"], 20.0, "10 % of 100 + 2 x 50")
        self.assertEqual(
            {
                model: self.env[model].with_context(active_test=False).search_count([])
                for model in counts
            },
            counts,
        )
        self.assertFalse(self.env["product.product"].search([("default_code", "=", "NOT-IN-ODOO")]))

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

    engine_url = None

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # Odoo's test mode raises any request timeout under 10 s to 10 s; the connector's
        # timeout is what is under test for calls to the local engine.
        if cls.engine_url and r.url.startswith(cls.engine_url):
            return common._super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

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

    def use_fallback(self, policy):
        self.env["ir.config_parameter"].sudo().set_param(
            "promotion_sync.eligibility_fallback", policy
        )

    def test_fallback_when_the_engine_is_frozen_or_its_circuit_open(self):
        self.env.ref("integration_core.domain_promotion").owner_connector_id = self.engine
        self.engine.frozen = True
        self.use_fallback("no_discount")
        answer = self.post(self.CART).json()
        self.assertEqual((answer["source"], answer["discount_total"]), ("no_discount", 0))
        self.assertEqual(answer["engine_unavailable"], self.engine.display_name)
        self.assertEqual(answer["fallback_reason"], "frozen")
        self.use_fallback("last_snapshot")
        answer = self.post(self.CART).json()
        self.assertEqual(
            (answer["source"], answer["discount_total"]), ("last_known_snapshot", 40.0)
        )
        self.use_fallback("allow")
        answer = self.post(self.CART).json()
        self.assertEqual((answer["source"], answer["programs"]), ("allow", []))
        self.engine.write({"frozen": False})
        self.engine.sudo().write({"circuit_state": "open", "circuit_open_until": self.hours(1)})
        self.use_fallback("no_discount")
        answer = self.post(self.CART).json()
        self.assertEqual(
            (answer["source"], answer["fallback_reason"]), ("no_discount", "circuit_open")
        )

    def test_the_engine_answers_then_the_fallback_when_it_is_slow_or_stopped(self):
        """The engine that owns promotions is asked with the connector's credentials and
        timeout; slow or stopped, the fallback answers and says why; its failures count for
        the connector's health."""
        engine = PromotionEngine(api_key="engine-key")
        engine.start()
        self.addCleanup(engine.stop)
        type(self).engine_url = engine.url
        self.addCleanup(setattr, type(self), "engine_url", None)
        self.engine.sudo().write(
            {
                "base_url": engine.url,
                "auth_type": "api_key",
                "secret_input": "engine-key",
                "timeout": 0.5,
                "circuit_threshold": 10,
            }
        )
        self.env.ref("integration_core.domain_promotion").owner_connector_id = self.engine
        self.use_fallback("last_snapshot")
        cart = dict(self.CART, codes=["SPRING"])
        answer = self.post(cart).json()
        self.assertEqual(answer["source"], "engine")
        self.assertEqual(answer["discount_total"], 12.5)
        self.assertEqual(answer["programs"][0]["program_id"], "ENGINE-SPRING")
        self.assertEqual(answer["programs"][0]["version"], 3)
        self.assertNotIn("fallback_reason", answer)
        self.assertEqual(engine.carts, [cart], "the cart as the calling system sent it")
        # Slow: beyond the connector's timeout, the last approved snapshots answer.
        engine.mode, engine.slow_seconds = "slow", 5
        started = time.monotonic()
        answer = self.post(self.CART).json()
        self.assertLess(time.monotonic() - started, 3, "not waiting for the slow engine")
        self.assertEqual(
            (answer["source"], answer["fallback_reason"], answer["discount_total"]),
            ("last_known_snapshot", "timeout", 40.0),
        )
        self.assertEqual(answer["programs"][0]["program_id"], self.live.id)
        # An answer that is not one.
        engine.mode, engine.answer = "answer", {"programs": "everything"}
        answer = self.post(self.CART).json()
        self.assertEqual(
            (answer["source"], answer["fallback_reason"]), ("last_known_snapshot", "invalid_answer")
        )
        # Stopped: the engine is down.
        engine.stop()
        self.use_fallback("no_discount")
        answer = self.post(self.CART).json()
        self.assertEqual(
            (answer["source"], answer["fallback_reason"], answer["discount_total"]),
            ("no_discount", "network", 0),
        )
        self.engine.invalidate_recordset()
        self.assertEqual(self.engine.consecutive_failures, 3)
        self.assertIn("Could not reach", self.engine.last_error)

    def test_settings_field(self):
        settings = self.env["res.config.settings"].create(
            {"promotion_eligibility_fallback": "last_snapshot"}
        )
        settings.execute()
        self.assertEqual(
            self.env["ir.config_parameter"].sudo().get_param("promotion_sync.eligibility_fallback"),
            "last_snapshot",
        )

import json

from odoo import Command
from odoo.tests import HttpCase, TransactionCase, tagged

from ..tools import eligibility
from .common import PromotionSetup

URL = "/integration/promotion/eligibility"


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

    def post(self, body, login="paula.approver@example.com"):
        if login:
            self.authenticate(login, login)
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return self.url_open(URL, data=data, headers={"Content-Type": "application/json"})

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
        response = self.post({"lines": [{"sku": "T-DESK", "qty": -1, "price": 1}]})
        self.assertEqual(response.status_code, 400)
        self.assertIn("qty", response.json()["error"])

    def test_needs_a_session(self):
        self.authenticate(None, None)
        response = self.url_open(
            URL,
            data=json.dumps(self.CART),
            headers={"Content-Type": "application/json"},
            allow_redirects=False,
        )
        self.assertNotEqual(response.status_code, 200)

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

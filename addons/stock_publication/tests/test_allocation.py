"""Allocation maths, tested without the ORM."""

import doctest
import unittest

from ..tools import allocation
from ..tools.allocation import EXCLUDED, Override, Policy, allocate, backorder, round_down


class TestAllocation(unittest.TestCase):
    def test_doctests(self):
        result = doctest.testmod(allocation)
        self.assertGreater(result.attempted, 0)
        self.assertEqual(result.failed, 0)

    def test_backorder_is_owed_beyond_free_stock_promised_when_covered(self):
        self.assertEqual(backorder(10, -4, [("2026-12-02", 10)]), (10.0, "2026-12-02"))
        self.assertEqual(backorder(0, 0, [("2026-12-02", 10)]), (0.0, None))
        self.assertEqual(backorder(4, 1, []), (3.0, None))

    def test_full_share_no_buffer_publishes_free_quantity(self):
        self.assertEqual(allocate(17, Policy()), 17)

    def test_buffer_is_taken_before_the_share(self):
        # (100 - 10) * 50 % = 45, not 100 * 50 % - 10 = 40
        self.assertEqual(allocate(100, Policy(share_percent=50, safety_buffer=10)), 45)

    def test_buffer_larger_than_stock_publishes_zero(self):
        self.assertEqual(allocate(3, Policy(safety_buffer=5)), 0)

    def test_share_rounds_down_never_up(self):
        self.assertEqual(allocate(7, Policy(share_percent=50)), 3)
        self.assertEqual(allocate(1, Policy(share_percent=99)), 0)
        # float noise: 30 % of 10 is 2.9999999999999996 in binary
        self.assertEqual(allocate(10, Policy(share_percent=30)), 3)

    def test_fractional_free_quantity_rounds_down_to_whole_units(self):
        self.assertEqual(allocate(4.75, Policy()), 4)

    def test_maximum_caps(self):
        self.assertEqual(allocate(500, Policy(max_quantity=50)), 50)
        self.assertEqual(allocate(20, Policy(max_quantity=50)), 20)
        self.assertEqual(allocate(20, Policy(max_quantity=0)), 20, "0 means no maximum")

    def test_negative_stock_publishes_zero(self):
        self.assertEqual(allocate(-12, Policy()), 0)
        self.assertEqual(allocate(-12, Policy(share_percent=50, safety_buffer=2)), 0)
        self.assertEqual(allocate(None, Policy()), 0)

    def test_out_of_stock_threshold(self):
        policy = Policy(out_of_stock_threshold=3)
        self.assertEqual(allocate(3, policy), 0, "at the threshold: out of stock")
        self.assertEqual(allocate(4, policy), 4)
        # the threshold applies to the allocated quantity, after buffer and share
        self.assertEqual(allocate(10, Policy(share_percent=30, out_of_stock_threshold=3)), 0)

    def test_exposure_cap_applies_on_top_of_policy(self):
        policy = Policy(share_percent=80, max_quantity=40, exposure_percent=50)
        # 100 * 80 % = 80, max 40, exposure 50 % -> 20
        self.assertEqual(allocate(100, policy), 20)
        self.assertEqual(allocate(100, Policy(exposure_percent=0)), 0)
        self.assertEqual(allocate(5, Policy(exposure_percent=50)), 2)

    def test_discontinued_publishes_zero_even_with_fixed_override(self):
        self.assertEqual(allocate(100, Policy(), discontinued=True), 0)
        self.assertEqual(
            allocate(100, Policy(), Override("fixed", fixed_quantity=5), discontinued=True), 0
        )

    def test_fixed_override_publishes_as_is(self):
        self.assertEqual(allocate(0, Policy(), Override("fixed", fixed_quantity=25)), 25)
        self.assertEqual(
            allocate(-4, Policy(share_percent=10), Override("fixed", fixed_quantity=2)), 2
        )

    def test_exclude_override(self):
        self.assertIs(allocate(100, Policy(), Override("exclude")), EXCLUDED)
        self.assertIs(allocate(100, Policy(), Override("exclude"), discontinued=True), EXCLUDED)

    def test_policy_override_replaces_channel_policy_but_keeps_the_incident_cap(self):
        channel = Policy(share_percent=50, safety_buffer=10, exposure_percent=50)
        own = Override("policy", policy=Policy(share_percent=100, safety_buffer=0, max_quantity=30))
        # own: 100 -> max 30; channel incident cap 50 % -> 15
        self.assertEqual(allocate(100, channel, own), 15)
        self.assertEqual(allocate(100, Policy(share_percent=50), own), 30)

    def test_bad_policies_are_refused(self):
        for kwargs in (
            {"share_percent": 101},
            {"share_percent": -1},
            {"exposure_percent": 120},
            {"safety_buffer": -1},
            {"max_quantity": -5},
            {"out_of_stock_threshold": -1},
            {"rounding": 0},
        ):
            with self.subTest(**kwargs), self.assertRaises(ValueError):
                Policy(**kwargs)
        with self.assertRaises(ValueError):
            Override("sometimes")
        with self.assertRaises(ValueError):
            Override("fixed", fixed_quantity=-1)
        with self.assertRaises(ValueError):
            Override("policy")

    def test_round_down(self):
        self.assertEqual(round_down(2.9999999999, 1), 3)
        self.assertEqual(round_down(2.6, 1), 2)
        self.assertEqual(round_down(2.6, 0.5), 2.5)
        self.assertEqual(round_down(-1, 1), 0)

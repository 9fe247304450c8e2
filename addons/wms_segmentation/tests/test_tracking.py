# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re

from odoo.tests import tagged

from .common import WmsSegmentationCase

# what may differ between two chatter lines: their ids, dates and the unique
# part of their message_id
VOLATILE = {"id", "res_id", "mail_message_id", "date", "create_date", "write_date"}


@tagged("post_install", "-at_install")
class TestTierTracking(WmsSegmentationCase):
    """A run's "Customer Tier: A → B" lines are the rows mail's tracking
    writes when a user changes a tier by hand."""

    def _rows(self, table, column, value):
        self.env.flush_all()
        self.env.cr.execute(
            f"SELECT * FROM {table} WHERE {column} = %s ORDER BY id",
            [value],
        )
        names = [d[0] for d in self.env.cr.description]
        return [dict(zip(names, row, strict=True)) for row in self.env.cr.fetchall()]

    def _tracking_rows(self, partner):
        [message] = [
            row
            for row in self._rows("mail_message", "res_id", partner.id)
            if row["model"] == "res.partner"
            and self._rows("mail_tracking_value", "mail_message_id", row["id"])
        ]
        values = self._rows("mail_tracking_value", "mail_message_id", message["id"])
        message["message_id"] = re.sub(
            r"^<[\d.]+-", "<UNIQUE-", message["message_id"] or ""
        )
        return (
            {k: v for k, v in message.items() if k not in VOLATILE},
            [{k: v for k, v in row.items() if k not in VOLATILE} for row in values],
        )

    def test_batch_tracking_is_what_the_orm_writes(self):
        tracked_env = self.env(context=dict(self.env.context, tracking_disable=False))
        by_hand = self._customer("Tier Set By Hand").with_env(tracked_env)
        # the run's first line is made by mail itself, the others are copies
        # of it: compare a copy
        first = self._customer("Tier Set By A Run, First")
        scored = self._customer("Tier Set By A Run")
        self.assertLess(first.id, scored.id)
        for customer in (first, scored):
            self._history(customer, [5, 6, 7])
            self._invoice(customer, 1000)
        # as if created earlier: mail tracks no record created in the same
        # transaction
        self.env.flush_all()
        self.env.cr.precommit.run()
        # both go from "no tier" to VIP in company X, by the same user
        by_hand.with_company(self.company_x).wms_tier_id = self.tier_vip
        self.env.flush_all()
        self.env.cr.precommit.run()  # mail's tracking is logged before commit
        run = self._run(env=tracked_env)
        self.assertEqual(self._score(run, scored).tier_after_id, self.tier_vip)
        self.assertEqual(run.change_count, 2)
        orm_message, orm_values = self._tracking_rows(by_hand)
        run_message, run_values = self._tracking_rows(scored)
        self.assertEqual(run_message, orm_message)
        self.assertEqual(run_values, orm_values)
        self.assertEqual(len(run_values), 1)
        self.assertEqual(run_values[0]["new_value_char"], "VIP")
        self.assertEqual(self._tracking_rows(first), (orm_message, orm_values))
        # the copies are lines of their own customer, in its chatter
        self.assertEqual(len(scored.message_ids.tracking_value_ids), 1)
        self.assertNotEqual(
            scored.message_ids.tracking_value_ids, first.message_ids.tracking_value_ids
        )

# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import WmsServiceTicketsCase


@tagged("post_install", "-at_install")
class TestExceptionTickets(WmsServiceTicketsCase):
    def _tickets(self, picking):
        return self.Ticket.search(
            [
                "|",
                ("wms_picking_id", "=", picking.id),
                ("wms_return_picking_id", "=", picking.id),
            ]
        )

    def test_customer_return_opens_a_ticket_linked_to_both(self):
        delivery = self._deliver(self.normal, qty=5)
        self.assertFalse(self._tickets(delivery))
        returned = self._return(delivery, qty=2)
        ticket = self._tickets(returned)
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.wms_exception_type_id, self.type_return)
        self.assertEqual(ticket.wms_picking_id, delivery)
        self.assertEqual(ticket.wms_return_picking_id, returned)
        self.assertEqual(ticket.partner_id, self.normal)
        self.assertEqual(ticket.category_id, self.type_return.category_id)
        self.assertEqual(delivery.wms_ticket_count, 1)
        self.assertEqual(returned.wms_ticket_count, 1)

    def test_report_on_a_return_is_about_its_delivery(self):
        delivery = self._deliver(self.normal, qty=5)
        self.type_return.auto_create = False
        returned = self._return(delivery, qty=1)
        ticket = self.Ticket.browse(
            self.Ticket.with_user(self.stock_user).wms_report_exception(
                "damaged", picking_id=returned.id
            )
        )
        self.assertEqual(ticket.wms_picking_id, delivery)
        self.assertEqual(ticket.wms_return_picking_id, returned)
        self.assertEqual(ticket.partner_id, self.normal)

    def test_late_vip_delivery_opens_a_ticket_late_normal_does_not(self):
        deadline = self._days_ago(2)
        vip_delivery = self._deliver(self.vip, deadline=deadline)
        normal_delivery = self._deliver(self.normal, deadline=deadline)
        on_time = self._deliver(self.vip, deadline=self._days_ago(-3))
        ticket = self._tickets(vip_delivery)
        self.assertEqual(ticket.wms_exception_type_id, self.type_late)
        self.assertEqual(ticket.wms_source_model, "stock.picking")
        self.assertEqual(ticket.wms_source_id, vip_delivery.id)
        self.assertIn(vip_delivery.name, ticket.name)
        self.assertFalse(self._tickets(normal_delivery))
        self.assertFalse(self._tickets(on_time))

    def test_short_delivery_without_backorder_is_a_missing_item(self):
        short = self._deliver(self.core, qty=10, done_qty=7)
        backordered = self._deliver(self.core, qty=10, done_qty=7, backorder=True)
        self.assertEqual(self._tickets(short).wms_exception_type_id, self.type_missing)
        self.assertFalse(self._tickets(backordered))

    def test_a_line_cancelled_before_validation_is_no_shortage(self):
        delivery = self._create_delivery(
            self.core, lines=[(self.product, 5.0), (self.product_2, 3.0)]
        )
        delivery.action_confirm()
        delivery.move_ids.filtered(
            lambda m: m.product_id == self.product_2
        )._action_cancel()
        delivery.action_assign()
        delivery.move_ids.filtered(lambda m: m.state != "cancel").picked = True
        delivery.button_validate()
        self.assertEqual(delivery.state, "done")
        self.assertFalse(self._tickets(delivery))

    def test_a_batch_of_tickets_is_spread_over_the_team(self):
        deliveries = self.env["stock.picking"]
        for _i in range(3):
            delivery = self._create_delivery(self.core, qty=4)
            delivery.action_confirm()
            delivery.move_ids.date_deadline = self._days_ago(2)
            delivery.action_assign()
            delivery.move_ids.picked = True
            deliveries |= delivery
        deliveries.button_validate()
        tickets = (
            self._tickets(deliveries[0])
            | self._tickets(deliveries[1])
            | (self._tickets(deliveries[2]))
        )
        self.assertEqual(len(tickets), 3)
        self.assertEqual(
            tickets.user_id, self.agent_1 | self.agent_2 | self.account_manager
        )

    def test_archived_ticket_does_not_block_the_next_report(self):
        delivery = self._deliver(self.normal, qty=5)
        first = self.Ticket.wms_report_exception("damaged", picking_id=delivery.id)
        self.Ticket.browse(first).action_archive()
        second = self.Ticket.wms_report_exception("damaged", picking_id=delivery.id)
        self.assertNotEqual(first, second)

    def test_reopened_ticket_is_the_open_ticket_again(self):
        delivery = self._deliver(self.normal, qty=5)
        ticket = self.Ticket.browse(
            self.Ticket.wms_report_exception("damaged", picking_id=delivery.id)
        )
        ticket.stage_id = self.stage_done
        self.assertTrue(ticket.closed_date)
        ticket.stage_id = self.stage_progress
        self.assertFalse(ticket.closed_date)
        self.assertEqual(
            self.Ticket.wms_report_exception("damaged", picking_id=delivery.id),
            ticket.id,
        )

    def test_agents_can_duplicate_tickets(self):
        ticket = self.Ticket.browse(
            self.Ticket.wms_report_exception("damaged", partner_id=self.normal.id)
        )
        copy = ticket.with_user(self.agent_1).copy()
        self.assertFalse(copy.wms_dedupe_key)
        self.assertFalse(copy.wms_source_model)

    def test_tiers_chosen_in_settings(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(
            settings.wms_auto_ticket_tier_ids, self.tier_vip | self.tier_core
        )
        settings.wms_auto_ticket_tier_ids = self.tier_normal
        settings.execute()
        self.assertFalse(self.tier_vip.auto_exception_ticket)
        late_vip = self._deliver(self.vip, deadline=self._days_ago(2))
        late_normal = self._deliver(self.normal, deadline=self._days_ago(2))
        self.assertFalse(self._tickets(late_vip))
        self.assertEqual(
            self._tickets(late_normal).wms_exception_type_id, self.type_late
        )

    def test_types_without_auto_create_open_nothing(self):
        self.type_return.auto_create = False
        delivery = self._deliver(self.normal, qty=5)
        self.assertFalse(self._tickets(self._return(delivery, qty=1)))

    def test_second_trigger_posts_on_the_open_ticket(self):
        delivery = self._deliver(self.normal, qty=5)
        first = self.Ticket.browse(
            self.Ticket.wms_report_exception(
                "damaged", picking_id=delivery.id, description="Crushed corner"
            )
        )
        messages = len(first.message_ids)
        again = self.Ticket.wms_report_exception(
            "damaged", picking_id=delivery.id, description="Second carton crushed too"
        )
        self.assertEqual(again, first.id)
        self.assertEqual(
            self.Ticket.search_count([("wms_picking_id", "=", delivery.id)]), 1
        )
        self.assertEqual(len(first.message_ids), messages + 1)
        self.assertIn("Second carton crushed too", first.message_ids[0].body)
        # another type on the same delivery is another ticket
        other = self.Ticket.wms_report_exception("wrong_item", picking_id=delivery.id)
        self.assertNotEqual(other, first.id)
        # once closed, the next trigger opens a new ticket
        first.stage_id = self.stage_done
        self.assertFalse(first.wms_dedupe_key)
        third = self.Ticket.wms_report_exception("damaged", picking_id=delivery.id)
        self.assertNotIn(third, (first.id, other))

    def test_vip_goes_to_the_account_manager(self):
        ticket = self.Ticket.browse(
            self.Ticket.wms_report_exception("damaged", partner_id=self.vip.id)
        )
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(ticket.user_id, self.account_manager)
        self.assertEqual(ticket.priority, "3")
        self.assertEqual(ticket.wms_tier_id, self.tier_vip)

    def test_account_manager_outside_the_team_falls_back_to_least_loaded(self):
        self.vip.wms_account_manager_id = self.outsider_manager
        # agent_1 has two open tickets, the account manager one, agent_2 none
        for user in (self.agent_1, self.agent_1, self.account_manager):
            self._ticket(self.normal, user=user)
        closed = self._ticket(self.normal, user=self.agent_2)
        closed.stage_id = self.stage_done
        ticket = self.Ticket.browse(
            self.Ticket.wms_report_exception("damaged", partner_id=self.vip.id)
        )
        self.assertEqual(ticket.user_id, self.agent_2)

    def test_least_loaded_ties_go_to_the_lowest_id(self):
        ticket = self.Ticket.browse(
            self.Ticket.wms_report_exception("damaged", partner_id=self.normal.id)
        )
        members = self.agent_1 | self.agent_2 | self.account_manager
        self.assertEqual(ticket.user_id, members.sorted("id")[0])

    def test_priority_is_the_higher_of_type_and_tier(self):
        self.assertEqual(self.tier_core.ticket_priority, "2")
        self.assertEqual(self.tier_normal.ticket_priority, "1")
        normal_temp = self.Ticket.browse(
            self.Ticket.wms_report_exception(
                "temperature_excursion", partner_id=self.normal.id
            )
        )
        core_other = self.Ticket.browse(
            self.Ticket.wms_report_exception("other", partner_id=self.core.id)
        )
        normal_other = self.Ticket.browse(
            self.Ticket.wms_report_exception("other", partner_id=self.normal.id)
        )
        self.assertEqual(normal_temp.priority, "3")
        self.assertEqual(core_other.priority, "2")
        self.assertEqual(normal_other.priority, "1")

    def test_team_from_the_exception_type(self):
        other_team = self.env["helpdesk.ticket.team"].create(
            {"name": "Cold chain desk", "user_ids": [(6, 0, self.agent_2.ids)]}
        )
        self.type_temperature.team_id = other_team
        ticket = self.Ticket.browse(
            self.Ticket.wms_report_exception(
                "temperature_excursion", partner_id=self.vip.id
            )
        )
        self.assertEqual(ticket.team_id, other_team)
        # the VIP's account manager is not in that team
        self.assertEqual(ticket.user_id, self.agent_2)

    def test_no_member_means_unassigned(self):
        self.team.user_ids = False
        ticket = self.Ticket.browse(
            self.Ticket.with_user(self.agent_1).wms_report_exception(
                "damaged", partner_id=self.normal.id
            )
        )
        self.assertFalse(ticket.user_id)

# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from lxml import html

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import WmsServiceTicketsCase


class WmsPortalCase(HttpCase, WmsServiceTicketsCase):
    """Two portal customers, each a contact of their company, and an
    employee without helpdesk rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_a = new_test_user(
            cls.env, login="wms_portal_a", groups="base.group_portal"
        )
        cls.portal_a.partner_id.parent_id = cls.vip
        cls.portal_b = new_test_user(
            cls.env, login="wms_portal_b", groups="base.group_portal"
        )
        cls.portal_b.partner_id.parent_id = cls.core
        cls.employee = new_test_user(
            cls.env, login="wms_plain_employee", groups="base.group_user"
        )

    def _page(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        return response, html.fromstring(response.content)

    def _close_forms(self, ticket):
        """The close forms of the ticket's portal page, by stage id."""
        __, doc = self._page(f"/my/ticket/{ticket.id}")
        forms = {}
        for form in doc.xpath("//div[@name='ticket_close_buttons']//form"):
            data = {
                field.get("name"): field.get("value")
                for field in form.xpath(".//input[@type='hidden']")
            }
            forms[int(data["stage_id"])] = (
                form.get("action"),
                form.get("method"),
                data,
            )
        return forms

    def _post_close(self, ticket_id, stage_id, csrf_token):
        return self.url_open(
            "/ticket/close",
            data={
                "ticket_id": ticket_id,
                "stage_id": stage_id,
                "csrf_token": csrf_token,
            },
            allow_redirects=False,
        )


@tagged("post_install", "-at_install")
class TestPortalClose(WmsPortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ticket_a = cls._ticket(cls, cls.vip)
        cls.ticket_b = cls._ticket(cls, cls.core)

    def _assert_open(self, ticket):
        ticket.invalidate_recordset()
        self.assertEqual(ticket.stage_id, self.stage_new)
        self.assertFalse(ticket.closed)

    def test_customer_closes_through_the_portal_page(self):
        self.authenticate(self.portal_a.login, self.portal_a.login)
        forms = self._close_forms(self.ticket_a)
        self.assertIn(self.stage_done.id, forms)
        action, method, data = forms[self.stage_done.id]
        self.assertEqual((action, method.upper()), ("/ticket/close", "POST"))
        self.assertTrue(data.get("csrf_token"))
        response = self.url_open(action, data=data, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(
            response.headers["Location"].endswith(f"/my/ticket/{self.ticket_a.id}")
        )
        self.ticket_a.invalidate_recordset()
        self.assertEqual(self.ticket_a.stage_id, self.stage_done)
        self.assertTrue(self.ticket_a.closed)

    def test_get_is_refused(self):
        self.authenticate(self.portal_a.login, self.portal_a.login)
        response = self.url_open(
            f"/ticket/close?ticket_id={self.ticket_a.id}&stage_id={self.stage_done.id}",
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 405)
        self._assert_open(self.ticket_a)

    def test_post_without_csrf_token_is_refused(self):
        self.authenticate(self.portal_a.login, self.portal_a.login)
        response = self.url_open(
            "/ticket/close",
            data={"ticket_id": self.ticket_a.id, "stage_id": self.stage_done.id},
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 400)
        self._assert_open(self.ticket_a)

    def test_other_customer_cannot_close(self):
        """Customer B takes a valid token from their own ticket's page and
        posts the id of customer A's ticket."""
        self.authenticate(self.portal_b.login, self.portal_b.login)
        __, __, data = self._close_forms(self.ticket_b)[self.stage_done.id]
        response = self._post_close(
            self.ticket_a.id, self.stage_done.id, data["csrf_token"]
        )
        self.assertIn(response.status_code, (403, 404))
        self._assert_open(self.ticket_a)

    def test_follower_of_other_company_cannot_close(self):
        """Following a ticket lets a portal user read it, not close it."""
        self.ticket_a.message_subscribe(partner_ids=self.portal_b.partner_id.ids)
        self.authenticate(self.portal_b.login, self.portal_b.login)
        __, __, data = self._close_forms(self.ticket_a)[self.stage_done.id]
        response = self._post_close(
            self.ticket_a.id, self.stage_done.id, data["csrf_token"]
        )
        self.assertEqual(response.status_code, 403)
        self._assert_open(self.ticket_a)

    def test_employee_without_write_access_cannot_close(self):
        """A plain employee who follows the ticket may read it, not write it."""
        self.ticket_a.message_subscribe(partner_ids=self.employee.partner_id.ids)
        self.assertTrue(self.ticket_a.with_user(self.employee).has_access("read"))
        self.assertFalse(self.ticket_a.with_user(self.employee).has_access("write"))
        self.authenticate(self.employee.login, self.employee.login)
        __, __, data = self._close_forms(self.ticket_a)[self.stage_done.id]
        response = self._post_close(
            self.ticket_a.id, self.stage_done.id, data["csrf_token"]
        )
        self.assertEqual(response.status_code, 403)
        self._assert_open(self.ticket_a)

    def test_employee_who_may_write_closes(self):
        self.assertTrue(self.ticket_a.with_user(self.agent_1).has_access("write"))
        self.authenticate(self.agent_1.login, self.agent_1.login)
        __, __, data = self._close_forms(self.ticket_a)[self.stage_done.id]
        response = self._post_close(
            self.ticket_a.id, self.stage_done.id, data["csrf_token"]
        )
        self.assertEqual(response.status_code, 303)
        self.ticket_a.invalidate_recordset()
        self.assertEqual(self.ticket_a.stage_id, self.stage_done)

    def test_only_close_from_portal_stages_of_the_team(self):
        other_team = self.env["helpdesk.ticket.team"].create({"name": "Other team"})
        other_team_stage = self.stage_done.copy(
            {"name": "Done elsewhere", "team_ids": [Command.set(other_team.ids)]}
        )
        self.authenticate(self.portal_a.login, self.portal_a.login)
        __, __, data = self._close_forms(self.ticket_a)[self.stage_done.id]
        for stage in (self.stage_progress, other_team_stage):
            response = self._post_close(self.ticket_a.id, stage.id, data["csrf_token"])
            self.assertEqual(response.status_code, 403, stage.name)
            self._assert_open(self.ticket_a)

    def test_bad_ids_are_client_errors(self):
        self.authenticate(self.portal_a.login, self.portal_a.login)
        __, __, data = self._close_forms(self.ticket_a)[self.stage_done.id]
        token = data["csrf_token"]
        missing_id = self.Ticket.search([], order="id desc", limit=1).id + 1000
        for ticket_id, stage_id, status in (
            ("abc", self.stage_done.id, 400),
            ("", self.stage_done.id, 400),
            (self.ticket_a.id, "x", 400),
            (missing_id, self.stage_done.id, 404),
            (self.ticket_a.id, 999999, 403),
        ):
            response = self._post_close(ticket_id, stage_id, token)
            self.assertEqual(response.status_code, status, (ticket_id, stage_id))
            self.assertNotIn(b"Traceback", response.content)
        response = self.url_open(
            "/ticket/close", data={"csrf_token": token}, allow_redirects=False
        )
        self.assertEqual(response.status_code, 400)
        self._assert_open(self.ticket_a)


@tagged("post_install", "-at_install")
class TestPortalTicketPages(WmsPortalCase):
    def test_delivery_and_exception_shown(self):
        delivery = self._create_delivery(self.vip)
        ticket = self._ticket(self.vip, self.type_damaged, wms_picking_id=delivery.id)
        self.assertFalse(
            self.env["stock.picking"].with_user(self.portal_a).has_access("read")
        )
        self.authenticate(self.portal_a.login, self.portal_a.login)
        response, doc = self._page(f"/my/ticket/{ticket.id}")
        page = response.text
        self.assertIn(delivery.name, page)
        self.assertIn(self.type_damaged.name, page)
        response, doc = self._page("/my/tickets")
        row = doc.xpath(f"//a[@href[starts-with(., '/my/ticket/{ticket.id}?')]]/../..")
        self.assertTrue(row)
        cells = row[0].text_content()
        self.assertIn(delivery.name, cells)
        self.assertIn(self.type_damaged.name, cells)

# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from unittest.mock import patch

from lxml import html

from odoo.tests import HttpCase, tagged

from odoo.addons.rating.models.rating_data import RATING_HAPPY_VALUE

from .common import WmsServiceTicketsCase

NPS_QUESTION = "How likely are you to recommend us to a friend or colleague?"


@tagged("post_install", "-at_install")
class TestRatingPage(HttpCase, WmsServiceTicketsCase):
    """The customer clicks a smiley of the feedback mail, answers the NPS
    question on the page that opens and sends it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ticket = cls._ticket(cls, cls.vip, user=cls.agent_1)
        cls.token = cls.ticket._rating_get_access_token()
        cls.rating = cls.env["rating.rating"].search([("access_token", "=", cls.token)])

    def _open(self, score, token=None):
        response = self.url_open(f"/rate/{token or self.token}/{score}")
        self.assertEqual(response.status_code, 200)
        return response, html.fromstring(response.content)

    def _submit(self, doc, **values):
        form = doc.xpath("//form[contains(@action, '/submit_feedback')]")[0]
        data = {
            field.get("name"): field.get("value")
            for field in form.xpath(".//input[@type='hidden']")
        }
        data.update(values)
        return self.url_open(form.get("action"), data=data)

    def test_rate_with_nps(self):
        response, doc = self._open(RATING_HAPPY_VALUE)
        self.assertIn(NPS_QUESTION, response.text)
        self.assertEqual(
            doc.xpath("//input[@name='wms_nps']/@value"),
            [str(score) for score in range(11)],
        )
        # the KPI refresh runs once the NPS answer is stored
        ticket_class = type(self.env["helpdesk.ticket"])
        refresh = ticket_class._wms_refresh_kpi
        answers_seen = []

        def spy(tickets):
            answers_seen.extend(tickets.rating_ids.mapped("wms_nps"))
            return refresh(tickets)

        with patch.object(ticket_class, "_wms_refresh_kpi", autospec=True) as mock:
            mock.side_effect = spy
            response = self._submit(doc, rate="5", wms_nps="9", feedback="Fast!")
        self.assertEqual(response.status_code, 200)
        self.rating.invalidate_recordset()
        self.assertEqual(self.rating.rating, 5)
        self.assertTrue(self.rating.consumed)
        self.assertEqual(self.rating.wms_nps, "9")
        self.assertEqual(self.rating.feedback, "Fast!")
        self.assertIn("9", answers_seen)

    def test_unknown_token_is_not_found(self):
        for url in ("/rate/not-a-token/5", "/rate/not-a-token/submit_feedback"):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 404, url)
        # a POST with a valid CSRF token but an unknown rating token
        __, doc = self._open(RATING_HAPPY_VALUE)
        csrf = doc.xpath("//input[@name='csrf_token']/@value")[0]
        response = self.url_open(
            "/rate/not-a-token/submit_feedback",
            data={"csrf_token": csrf, "rate": "5", "wms_nps": "9"},
        )
        self.assertEqual(response.status_code, 404)
        self.rating.invalidate_recordset()
        self.assertFalse(self.rating.wms_nps)

    def test_second_submit_updates_the_same_rating(self):
        Rating = self.env["rating.rating"]
        domain = [
            ("res_model", "=", "helpdesk.ticket"),
            ("res_id", "=", self.ticket.id),
        ]
        __, doc = self._open(RATING_HAPPY_VALUE)
        self._submit(doc, rate="5", wms_nps="9")
        count = Rating.search_count(domain)
        __, doc = self._open(1)
        # the page shows the answer given before
        self.assertEqual(doc.xpath("//input[@name='wms_nps'][@checked]/@value"), ["9"])
        self._submit(doc, rate="1", wms_nps="3", feedback="Actually, no.")
        self.assertEqual(Rating.search_count(domain), count)
        self.rating.invalidate_recordset()
        self.assertEqual(self.rating.rating, 1)
        self.assertEqual(self.rating.wms_nps, "3")
        self.assertEqual(self.rating.feedback, "Actually, no.")

    def test_invalid_or_missing_nps_is_ignored(self):
        __, doc = self._open(RATING_HAPPY_VALUE)
        for value in ("11", "-1", "9.5", "nine", ""):
            response = self._submit(doc, rate="5", wms_nps=value)
            self.assertEqual(response.status_code, 200, value)
            self.rating.invalidate_recordset()
            self.assertFalse(self.rating.wms_nps, value)
            self.assertEqual(self.rating.rating, 5)
        self._submit(doc, rate="5", wms_nps="0")
        self.rating.invalidate_recordset()
        self.assertEqual(self.rating.wms_nps, "0")
        # no answer on a second submit keeps the first one
        self._submit(doc, rate="3")
        self.rating.invalidate_recordset()
        self.assertEqual((self.rating.rating, self.rating.wms_nps), (3, "0"))

    def test_no_nps_question_for_other_models(self):
        partner_rating = self.env["rating.rating"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": self.vip.id,
                "partner_id": self.vip.id,
            }
        )
        response, doc = self._open(
            RATING_HAPPY_VALUE, token=partner_rating.access_token
        )
        self.assertNotIn(NPS_QUESTION, response.text)
        self.assertFalse(doc.xpath("//input[@name='wms_nps']"))


@tagged("post_install", "-at_install")
class TestFeedbackMail(WmsServiceTicketsCase):
    """Closing a ticket sends the feedback request to its customer."""

    def _feedback_messages(self, ticket):
        return self.env["mail.message"].search(
            [
                ("model", "=", "helpdesk.ticket"),
                ("res_id", "=", ticket.id),
                ("body", "ilike", "/rate/"),
            ]
        )

    def test_done_stage_sends_the_feedback_mail(self):
        template = self.env.ref("wms_service_tickets.mail_template_ticket_feedback")
        self.assertEqual(self.stage_done.rating_mail_template_id, template)
        ticket = self._ticket(self.vip, user=self.agent_1)
        self.assertFalse(self._feedback_messages(ticket))
        ticket.stage_id = self.stage_done
        message = self._feedback_messages(ticket)
        self.assertEqual(len(message), 1)
        self.assertIn(self.vip, message.partner_ids)
        rating = ticket.rating_ids
        self.assertEqual(len(rating), 1)
        self.assertEqual(rating.partner_id, self.vip)
        for score in (5, 3, 1):
            self.assertIn(f"/rate/{rating.access_token}/{score}", message.body)
        self.assertIn("one more question", message.body)

    def test_feedback_mail_in_the_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        template = self.env.ref("wms_service_tickets.mail_template_ticket_feedback")
        template.with_context(lang="fr_FR").write(
            {"subject": "Votre avis sur le ticket {{ object.number }}"}
        )
        self.vip.lang = "fr_FR"
        ticket = self._ticket(self.vip, user=self.agent_1)
        ticket.stage_id = self.stage_done
        message = self._feedback_messages(ticket)
        self.assertEqual(message.subject, f"Votre avis sur le ticket {ticket.number}")

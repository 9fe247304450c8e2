"""MQTT to Odoo bridge for the WMS cold-chain sensors.

Its own process, never imported by Odoo: it subscribes to the gateways'
topics, keeps every message in an on-disk spool before acknowledging it to
the broker, and posts the spooled readings to Odoo's readings endpoint
(``POST /wms/iot/v1/readings``) with each gateway's key."""

__version__ = "19.0.1.0.0"

from . import wms_iot_gateway_key
from . import wms_iot_alert_ack

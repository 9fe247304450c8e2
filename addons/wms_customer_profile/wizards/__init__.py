from . import wms_customer_export

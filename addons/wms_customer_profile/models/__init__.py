from . import wms_customer_tier
from . import wms_customer_kpi
from . import res_partner
from . import stock_picking
from . import res_config_settings

from . import wms_customer_tier
from . import wms_segmentation_rule
from . import wms_rfm_score
from . import wms_segmentation_run
from . import res_partner
from . import res_config_settings

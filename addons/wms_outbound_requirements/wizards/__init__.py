from . import wms_requirement_check
from . import wms_requirement_waive

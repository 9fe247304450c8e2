from . import wms_exception_report

from . import test_tier
from . import test_kpi
from . import test_access
from . import test_export
from . import test_integration
from . import test_local_dates

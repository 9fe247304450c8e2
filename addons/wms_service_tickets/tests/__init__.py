from . import test_access
from . import test_exception_tickets
from . import test_integration
from . import test_kpi
from . import test_portal
from . import test_rating
from . import test_sla
from . import test_wizard

from . import test_exception_tickets
from . import test_wizard
from . import test_portal
from . import test_rating

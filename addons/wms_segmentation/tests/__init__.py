from . import test_scoring
from . import test_tiers
from . import test_run
from . import test_integration

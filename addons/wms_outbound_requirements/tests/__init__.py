from . import test_snapshot
from . import test_validation
from . import test_acknowledgement
from . import test_window
from . import test_watch
from . import test_access
from . import test_integration
from . import test_report

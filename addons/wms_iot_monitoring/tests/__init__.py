from . import test_acknowledge
from . import test_access
from . import test_endpoint
from . import test_ingest
from . import test_integration
from . import test_mkt

from . import test_exception_tickets

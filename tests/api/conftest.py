from tests.alerts.support import checkout

__all__ = ["checkout"]

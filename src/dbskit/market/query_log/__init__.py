"""The query log: every Partner API call, kept for the retention period (R-111)."""

from dbskit.market.query_log.reader import list_requests
from dbskit.market.query_log.recorder import QueryLogRecorder
from dbskit.market.query_log.writer import QueryLogWriter

__all__ = ["QueryLogRecorder", "QueryLogWriter", "list_requests"]

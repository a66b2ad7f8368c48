"""The outlook, a read model with one owner: what it is computed from and how fresh it is
(`inputs`), the ledger as arrays (`ledger`), computing and storing it (`service`), one
request's reads of it (`reader`) and what they return (`views`)."""

from gql_server.services.outlook.inputs import MODEL_VERSION
from gql_server.services.outlook.ledger import LoadedLedger, load_ledger, load_ledger_rows
from gql_server.services.outlook.reader import OutlookReader
from gql_server.services.outlook.service import OutlookService
from gql_server.services.outlook.views import ForecastView, HorizonView, check_horizon

__all__ = [
    "MODEL_VERSION",
    "ForecastView",
    "HorizonView",
    "LoadedLedger",
    "OutlookReader",
    "OutlookService",
    "check_horizon",
    "load_ledger",
    "load_ledger_rows",
]

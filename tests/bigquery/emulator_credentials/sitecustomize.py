"""Anonymous Google credentials for processes that talk to the BigQuery emulator (tests only).

The BigQuery tests put this folder on PYTHONPATH of the `chargeback` processes they start, so
Python imports this module at start-up. dbt-bigquery and the project's BigQuery clients ask
`google.auth.default()` for application default credentials, which do not exist offline; the
emulator checks none. When BIGQUERY_EMULATOR_HOST is set (google-cloud-bigquery then sends
every request there), `google.auth.default` returns anonymous credentials for the project in
CHARGEBACK_BQ_PROJECT. Without that variable this module changes nothing. Nothing outside
tests/bigquery puts it on a path.
"""

import os

if os.environ.get("BIGQUERY_EMULATOR_HOST"):
    import google.auth
    from google.auth.credentials import AnonymousCredentials

    def _anonymous_default(*args, **kwargs):
        return AnonymousCredentials(), os.environ["CHARGEBACK_BQ_PROJECT"]

    google.auth.default = _anonymous_default

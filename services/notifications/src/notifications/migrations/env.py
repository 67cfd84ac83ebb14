from dealflow_libs.migrate import run_env
from notifications.db.tables import metadata

run_env(metadata)

from dealflow_libs.migrate import run_env
from meetings.db.tables import metadata

run_env(metadata)

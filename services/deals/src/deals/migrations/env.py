from dealflow_libs.migrate import run_env
from deals.db.tables import metadata

run_env(metadata)

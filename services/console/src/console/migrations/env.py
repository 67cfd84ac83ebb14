from console.db.tables import metadata
from dealflow_libs.migrate import run_env

run_env(metadata)

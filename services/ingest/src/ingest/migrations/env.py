from dealflow_libs.migrate import run_env
from ingest.db.tables import Base

run_env(Base.metadata)

"""What every emulator shares (see `Emulator`, `create_app`)."""

from dealflow_emulators.common.app import create_app
from dealflow_emulators.common.clock import EmulatorClock, epoch_ms, iso_ms, utc_now
from dealflow_emulators.common.control import emulator_of
from dealflow_emulators.common.credentials import AuthCheck, CredentialBook, GrantError, Verdict
from dealflow_emulators.common.emulator import Emulator, EmulatorConfig, SeedError
from dealflow_emulators.common.faults import FaultKind, FaultSpec
from dealflow_emulators.common.forms import read_form
from dealflow_emulators.common.ratelimit import RateHit, WindowLimiter
from dealflow_emulators.common.store import Collection, Record, Store

__all__ = [
    "AuthCheck",
    "Collection",
    "CredentialBook",
    "Emulator",
    "EmulatorClock",
    "EmulatorConfig",
    "FaultKind",
    "FaultSpec",
    "GrantError",
    "RateHit",
    "Record",
    "SeedError",
    "Store",
    "Verdict",
    "WindowLimiter",
    "create_app",
    "emulator_of",
    "epoch_ms",
    "iso_ms",
    "read_form",
    "utc_now",
]

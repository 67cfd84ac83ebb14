"""Emulators of the external APIs Dealflow talks to, for local runs and tests.

Each emulator is a small FastAPI app over an in-memory store, with control endpoints under
`/_emulator/` (state, reset, faults, request log). Production code reaches them only through
its base URL settings. See docs/emulators.md.
"""

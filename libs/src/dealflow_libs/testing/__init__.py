"""Test support shared by every service's tests: real servers, HTTP servers in-process, probes."""

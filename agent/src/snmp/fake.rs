//! A fake SNMPv2c agent on loopback for deterministic retry, timeout and walk tests.

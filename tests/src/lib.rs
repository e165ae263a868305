//! Test harness for lanready's integration tests: starts snmpsim on a free loopback port
//! and stops it on drop.

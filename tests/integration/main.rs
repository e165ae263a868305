//! Integration tests: real SNMP over UDP on loopback to snmpsim, real recordings.

mod collector;
mod collector_faults;
mod corpus;
mod dashboard;
mod e2e;
mod faults;
mod gate;
mod harness;
mod install;
mod platforms;
mod poll;
mod programme;
mod programme_page;
mod push;
mod responder;
mod scan;
mod secrets;
mod site_page;

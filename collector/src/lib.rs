//! lanready-collector: receives site reports, keeps history, aggregates readiness per site,
//! serves the dashboard and answers the cutover gate.

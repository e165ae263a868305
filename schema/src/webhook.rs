//! The collector's webhook document, `lanready.webhook/v1`: one regression, POSTed to the
//! URL given to `lanready-collector serve --webhook` as it is found (at least once, in the
//! order the regressions were stored; `Lanready-Delivery` names the regression so a receiver
//! can drop a repeat).

use serde::{Deserialize, Serialize};

use crate::programme::RegressionDoc;

pub const WEBHOOK_SCHEMA: &str = "lanready.webhook/v1";

/// The one event of `lanready.webhook/v1`.
pub const REGRESSION_EVENT: &str = "regression";

/// One webhook delivery's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEvent {
    pub schema: String,
    /// What happened: `regression` (the only event of v1).
    pub event: String,
    pub site: String,
    /// Found after the site's cutover day: something that worked has broken.
    pub incident: bool,
    pub regression: RegressionDoc,
}

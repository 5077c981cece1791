//! The screens, one module each.

pub mod adhoc;
pub mod analytics;
pub mod checkpoint;
pub mod complaints;
pub mod coverage;
pub mod detail;
pub mod equipment;
pub mod issues;
pub mod ledger;
pub mod login;
pub mod notifications;
pub mod patrols;
pub mod plan;
pub mod raise;
pub mod rootcause;
pub mod schedule_form;
pub mod settings;
pub mod surveys;
pub mod tasks;
pub mod walk;

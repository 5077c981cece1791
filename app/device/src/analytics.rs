//! The site's analysis in the app, read-only and online: managers look at the
//! same figures the dashboard shows, computed by the server from the tracker
//! (nothing of them is kept on the device).

use crate::device::Device;
use crate::error::DeviceError;
use crate::net::{Client, SyncError, SyncOptions};
use shared::app::url_escape;
use shared::kpi::{By, Report};
use shared::wire::IssueSummary;

impl Device {
    /// The KPI report of `period` (`2026-11`, `2026-W45`, `2026-11-03` or
    /// `2026-11-01..2026-11-15`), broken down `by`.
    pub fn analytics(
        &self,
        period: &str,
        by: Option<By>,
        opts: &SyncOptions,
    ) -> Result<Report, DeviceError> {
        let mut what = format!("kpis?period={}", url_escape(period.trim()));
        if let Some(by) = by {
            what.push_str(&format!("&by={}", by.code()));
        }
        self.ask_analytics(&what, opts)
    }

    /// The issues behind one figure (`query` as the report's drill-down links write it).
    pub fn analytics_issues(
        &self,
        query: &str,
        opts: &SyncOptions,
    ) -> Result<Vec<IssueSummary>, DeviceError> {
        self.ask_analytics(&format!("issues?{query}"), opts)
    }

    fn ask_analytics<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        opts: &SyncOptions,
    ) -> Result<T, DeviceError> {
        let session = self.session()?;
        let client = Client::new(&session.server, opts)?;
        client.analytics(&session.token, what).map_err(|e| match e {
            SyncError::Server {
                status: 403,
                message,
                ..
            } => DeviceError::Forbidden(message),
            SyncError::Server {
                status: 400 | 422,
                message,
                ..
            } => DeviceError::Invalid(message),
            other => DeviceError::Sync(other),
        })
    }
}

//! Reminders and escalations: fetched from the server after each sync, kept
//! here so they can be read offline, marked seen when the person opens them.

use crate::device::Device;
use crate::error::DeviceError;
use crate::net::{Client, SyncError};
use rusqlite::params;
use shared::wire::Notification;

impl Device {
    /// Fetches notifications newer than the newest held; returns how many were new.
    pub(crate) fn fetch_notifications(
        &mut self,
        client: &Client,
        token: &str,
    ) -> Result<usize, SyncError> {
        let after: i64 = self
            .store
            .conn()
            .query_row(
                "SELECT COALESCE(MAX(created_ms), 0) FROM notifications",
                [],
                |r| r.get(0),
            )
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        let list = client.notifications(token, after)?;
        let added = self
            .store
            .tx(|tx| {
                let mut n = 0;
                for item in &list {
                    n += tx.execute(
                        "INSERT OR IGNORE INTO notifications (id, created_ms, json) VALUES (?1, ?2, ?3)",
                        params![
                            item.id.as_bytes(),
                            item.created_at.timestamp_millis(),
                            serde_json::to_string(item).expect("notification"),
                        ],
                    )?;
                }
                Ok(n)
            })
            .map_err(|e: DeviceError| SyncError::Protocol(e.to_string()))?;
        Ok(added)
    }

    /// Notifications held on this device, newest first, with whether each was seen.
    pub fn notifications(&self) -> Result<Vec<(Notification, bool)>, DeviceError> {
        let mut stmt = self
            .store
            .conn()
            .prepare("SELECT json, seen FROM notifications ORDER BY created_ms DESC LIMIT 200")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (json, seen) = row?;
            if let Ok(n) = serde_json::from_str(&json) {
                out.push((n, seen));
            }
        }
        Ok(out)
    }

    /// How many notifications were not seen yet.
    pub fn unseen_notifications(&self) -> Result<u32, DeviceError> {
        Ok(self.store.conn().query_row(
            "SELECT COUNT(*) FROM notifications WHERE seen = 0",
            [],
            |r| r.get(0),
        )?)
    }

    /// Marks every notification seen.
    pub fn mark_notifications_seen(&mut self) -> Result<(), DeviceError> {
        self.store.tx(|tx| {
            tx.execute("UPDATE notifications SET seen = 1 WHERE seen = 0", [])?;
            Ok(())
        })?;
        Ok(())
    }
}

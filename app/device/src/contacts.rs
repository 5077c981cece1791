//! Complainants' full contacts on the device.
//!
//! The complaint's document carries the contact masked; the device that
//! entered it keeps the full contact here and sends it to the server once the
//! document has synced. Devices of roles that call residents back fetch the
//! site's contacts after each sync, so the number is at hand offline.

use crate::device::Device;
use crate::error::DeviceError;
use crate::net::{Client, SyncError};
use rusqlite::{OptionalExtension, params};
use shared::ids::IssueId;

/// Pages of contacts one sync fetches at most (the rest come at the next).
const MAX_PAGES: usize = 100;

/// What the contact exchange of one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactReport {
    /// Full contacts entered here and now held by the server.
    pub sent: usize,
    /// Full contacts received from the server.
    pub received: usize,
    /// Contacts the server refused (it kept another, or the issue is gone):
    /// kept here, not offered again.
    pub refused: usize,
}

impl Device {
    /// The full contact of complaint `id` as this device knows it.
    pub fn contact(&self, id: IssueId) -> Result<Option<String>, DeviceError> {
        Ok(self
            .store
            .conn()
            .query_row(
                "SELECT contact FROM contacts WHERE issue = ?1",
                [id.as_uuid().as_bytes()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Sends the contacts entered here whose documents the server holds, then,
    /// for roles that call back, fetches the site's contacts.
    pub(crate) fn exchange_contacts(
        &mut self,
        client: &Client,
        token: &str,
    ) -> Result<ContactReport, SyncError> {
        let local = |e: rusqlite::Error| SyncError::Protocol(e.to_string());
        let mut report = ContactReport::default();
        let unsent: Vec<(Vec<u8>, String)> = {
            let mut stmt = self
                .store
                .conn()
                .prepare(
                    "SELECT c.issue, c.contact FROM contacts c JOIN docs d ON d.id = c.issue
                     WHERE c.sent = 0 AND d.dirty = 0 AND d.refused_code IS NULL",
                )
                .map_err(local)?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(local)?
                .collect::<Result<_, _>>()
                .map_err(local)?
        };
        for (issue, contact) in unsent {
            let Ok(uuid) = uuid::Uuid::from_slice(&issue) else {
                continue;
            };
            // 1: the server holds it; 2: the server refused it for good.
            let state = match client.put_contact(token, IssueId::from_uuid(uuid), &contact) {
                Ok(()) => 1,
                Err(SyncError::Server { status, .. }) if (400..500).contains(&status) => 2,
                Err(e) => return Err(e),
            };
            self.store
                .conn()
                .execute(
                    "UPDATE contacts SET sent = ?2 WHERE issue = ?1",
                    params![issue, state],
                )
                .map_err(local)?;
            match state {
                1 => report.sent += 1,
                _ => report.refused += 1,
            }
        }
        let role = self
            .session()
            .map_err(|e| SyncError::Protocol(e.to_string()))?
            .user
            .role;
        if !shared::policy::may_see_contacts(role) {
            return Ok(report);
        }
        // Page through what arrived since the last sync; each page is stored
        // with its cursor, so a cut connection resumes where it stopped.
        for _ in 0..MAX_PAGES {
            let after = crate::store::meta_get(self.store.conn(), "contacts_after")
                .map_err(|e| SyncError::Protocol(e.to_string()))?;
            let page = client.contacts(token, after.as_deref())?;
            self.store
                .tx(|tx| {
                    for c in &page.contacts {
                        tx.execute(
                            "INSERT INTO contacts (issue, contact, sent) VALUES (?1, ?2, 1)
                             ON CONFLICT(issue) DO UPDATE SET contact = excluded.contact, sent = 1",
                            params![c.issue.as_uuid().as_bytes(), c.contact],
                        )?;
                    }
                    if let Some(next) = &page.next {
                        crate::store::meta_set(tx, "contacts_after", next)?;
                    }
                    Ok(())
                })
                .map_err(|e: DeviceError| SyncError::Protocol(e.to_string()))?;
            report.received += page.contacts.len();
            if !page.more {
                break;
            }
        }
        Ok(report)
    }
}

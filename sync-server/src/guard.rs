//! Login throttling: failure counters per (user name, address) and per address,
//! and a bound on password checks running at once.
//!
//! A password check (argon2) costs a core for tens of milliseconds, so a flood
//! of bad logins must not be able to take every core: at most
//! [`limits::PASSWORD_CHECKS_AT_ONCE`] run at a time, and an address or a
//! name that keeps failing is answered at once with 429 until its window
//! passes, without a check. Counting by name *and* address means a stranger
//! failing against someone's name locks out only the stranger's address.

use shared::limits;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failure counters, each with the start of its window.
pub struct LoginGuard {
    failures: Mutex<HashMap<Key, (u32, Instant)>>,
    pub checks: tokio::sync::Semaphore,
    window: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Name(String, Option<IpAddr>),
    Address(IpAddr),
}

impl Default for LoginGuard {
    fn default() -> Self {
        LoginGuard {
            failures: Mutex::new(HashMap::new()),
            checks: tokio::sync::Semaphore::new(limits::PASSWORD_CHECKS_AT_ONCE),
            window: Duration::from_secs(limits::LOGIN_WINDOW_SECS as u64),
        }
    }
}

fn keys(name: &str, addr: Option<IpAddr>) -> Vec<(Key, u32)> {
    let mut k = vec![(
        Key::Name(name.trim().to_lowercase(), addr),
        limits::LOGIN_FAILURES_PER_USER,
    )];
    if let Some(a) = addr {
        k.push((Key::Address(a), limits::LOGIN_FAILURES_PER_ADDRESS));
    }
    k
}

impl LoginGuard {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, (u32, Instant)>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Some(seconds to wait)` when this name or address is locked out now.
    pub fn locked(&self, name: &str, addr: Option<IpAddr>) -> Option<u64> {
        let now = Instant::now();
        let map = self.lock();
        keys(name, addr)
            .into_iter()
            .filter_map(|(k, max)| {
                let (n, since) = map.get(&k)?;
                let left = self.window.checked_sub(now.duration_since(*since))?;
                (*n >= max).then_some(left.as_secs().max(1))
            })
            .max()
    }

    /// Counts a failed login.
    pub fn failed(&self, name: &str, addr: Option<IpAddr>) {
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() > 100_000 {
            // Forget expired windows before the table grows without bound.
            map.retain(|_, (_, since)| now.duration_since(*since) < self.window);
        }
        for (k, _) in keys(name, addr) {
            let e = map.entry(k).or_insert((0, now));
            if now.duration_since(e.1) >= self.window {
                *e = (0, now);
            }
            e.0 += 1;
        }
    }

    /// A successful login clears the name's counter (not the address's).
    pub fn succeeded(&self, name: &str, addr: Option<IpAddr>) {
        let mut map = self.lock();
        map.remove(&Key::Name(name.trim().to_lowercase(), addr));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_locks_after_its_failures_and_only_for_that_address() {
        let g = LoginGuard::default();
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        for _ in 0..limits::LOGIN_FAILURES_PER_USER {
            assert!(g.locked("Staff1", Some(a)).is_none());
            g.failed("staff1", Some(a));
        }
        assert!(g.locked("staff1", Some(a)).is_some(), "locked for a");
        assert!(g.locked("staff1", Some(b)).is_none(), "not for b");
        g.succeeded("staff1", Some(a));
        assert!(g.locked("staff1", Some(a)).is_none());
    }

    #[test]
    fn an_address_locks_after_failing_across_many_names() {
        let g = LoginGuard::default();
        let a: IpAddr = "127.0.0.4".parse().unwrap();
        for i in 0..limits::LOGIN_FAILURES_PER_ADDRESS {
            g.failed(&format!("user{i}"), Some(a));
        }
        assert!(g.locked("someone-else", Some(a)).is_some());
    }
}

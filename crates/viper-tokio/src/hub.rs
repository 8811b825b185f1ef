//! A WebSocket broadcast hub: one message to N clients, each behind a bounded queue.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

/// Broadcasts text to every member. Each member has a bounded queue; a member whose
/// queue is full (a slow client) is dropped from the hub and its session is closed
/// with 1013 (Try Again Later) instead of stalling the others.
#[derive(Debug)]
pub struct Hub {
    queue: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next: u64,
    members: Vec<(u64, mpsc::Sender<Arc<str>>)>,
    dropped_slow: u64,
}

impl Hub {
    /// A hub whose members each buffer at most `queue` messages.
    pub fn new(queue: usize) -> Self {
        Hub {
            queue: queue.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    pub(crate) fn add(&self) -> (u64, mpsc::Receiver<Arc<str>>) {
        let (tx, rx) = mpsc::channel(self.queue);
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.next += 1;
        let id = g.next;
        g.members.push((id, tx));
        (id, rx)
    }

    /// Sends `text` to every member; returns how many received it. Slow members are
    /// dropped, closed ones forgotten.
    pub fn broadcast(&self, text: &str) -> usize {
        let msg: Arc<str> = Arc::from(text);
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut delivered = 0;
        let mut slow = 0;
        g.members.retain(|(_, tx)| match tx.try_send(msg.clone()) {
            Ok(()) => {
                delivered += 1;
                true
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                slow += 1;
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        });
        g.dropped_slow += slow;
        delivered
    }

    /// Removes member `id` (it receives nothing more).
    pub fn remove(&self, id: u64) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.members.retain(|(i, _)| *i != id);
    }

    /// Current members (closed sessions are pruned first).
    pub fn len(&self) -> usize {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.members.retain(|(_, tx)| !tx.is_closed());
        g.members.len()
    }

    /// Whether the hub has no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Members dropped so far because their queue was full.
    pub fn dropped_slow(&self) -> u64 {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .dropped_slow
    }
}

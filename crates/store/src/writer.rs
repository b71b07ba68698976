//! The SQLite writer's own thread. SQLite runs one write transaction at a
//! time, so the time a transaction holds the writer bounds the portal's
//! write rate. Each statement is a round trip to the connection's thread;
//! run from the request runtime, every round trip also waits for a turn
//! among all the requests in flight. Write loops that matter for
//! throughput (the certificate logins' group commit) run here instead
//! ([`crate::Store::spawn_on_writer`]): a single-threaded runtime that does
//! nothing else, so a transaction's statements follow each other without
//! queueing behind page rendering.
use std::future::Future;
use std::sync::Arc;
use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

pub(crate) struct WriterThread {
    handle: Handle,
    /// Dropped with the last clone of the store: the thread then ends.
    _stop: oneshot::Sender<()>,
}

impl std::fmt::Debug for WriterThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriterThread")
    }
}

impl WriterThread {
    pub(crate) fn start() -> std::io::Result<Arc<WriterThread>> {
        let rt = Builder::new_current_thread().enable_all().build()?;
        let handle = rt.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("motcua-writer".into())
            .spawn(move || {
                rt.block_on(async {
                    let _ = stopped.await;
                });
            })?;
        Ok(Arc::new(WriterThread {
            handle,
            _stop: stop,
        }))
    }

    pub(crate) fn spawn<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(self.handle.spawn(fut));
    }
}

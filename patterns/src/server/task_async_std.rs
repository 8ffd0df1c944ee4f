//! **task_async_std**: `task_tokio`'s model on async-std (discontinued
//! upstream, RUSTSEC-2025-0052; `task_smol` is its successor's row): the
//! accept loop and the connection loop are `task_smol`'s, written once on
//! the `futures-io` traits; this file brings async-std's listener, its
//! `task::spawn` on the global executor, and its timer.
//!
//! async-std's executor is process-wide and not the server's to stop:
//! shutdown waits for every connection task (at most
//! [`SHUTDOWN_GRACE`](crate::server::SHUTDOWN_GRACE))
//! and the accept loop, and leaves the executor's threads to the process,
//! as the drop checks of the other workloads' async-std styles do.

use std::net::SocketAddr;
use std::sync::Arc;

use async_std::net::TcpListener;
use smol::channel::{Receiver, Sender, bounded};

use crate::drive::AsyncStd;
use crate::server::task_smol::{Shared, accept_loop, wait_for_connections};
use crate::server::{Config, Served, Server};

pub struct AsyncStdTaskServer {
    address: SocketAddr,
    stop: Sender<()>,
    done: Receiver<()>,
    shared: Arc<Shared>,
    acceptor: async_std::task::JoinHandle<()>,
}

impl Server for AsyncStdTaskServer {
    const STYLE: &'static str = "task_async_std";
    // async-std's executor and blocking pool are process-wide, not ours
    // to join; dropping it waits for its own task instead.
    const JOINS_ITS_THREADS: bool = false;

    // ANCHOR: start
    fn start(config: Config) -> std::io::Result<Self> {
        let listener = crate::server::listen(config.address)?;
        let address = listener.local_addr()?;
        let listener = TcpListener::from(listener);
        let (stop, signal) = bounded::<()>(1);
        let (live, done) = bounded::<()>(1);
        let shared = Shared::new(&config, signal);
        let acceptor = async_std::task::spawn({
            let shared = Arc::clone(&shared);
            async move {
                accept_loop::<AsyncStd, _, _, _, _>(
                    shared,
                    config.max_connections,
                    live,
                    || async {
                        // Nagle off: a pipelined batch's replies go out in
                        // more than one write, and the last would wait for
                        // the client's delayed ACK.
                        listener.accept().await.map(|(s, _)| {
                            let _ = s.set_nodelay(true);
                            s
                        })
                    },
                    |task| drop(async_std::task::spawn(task)),
                )
                .await;
            }
        });
        Ok(AsyncStdTaskServer {
            address,
            stop,
            done,
            shared,
            acceptor,
        })
    }
    // ANCHOR_END: start

    fn local_addr(&self) -> SocketAddr {
        self.address
    }

    fn shutdown(self) -> Served {
        self.stop.close();
        async_std::task::block_on(self.acceptor);
        async_std::task::block_on(wait_for_connections(self.done));
        self.shared.stats.served()
    }
}

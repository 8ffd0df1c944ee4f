//! loom models of the server workload's coordination: the facade's
//! `Admission` (the blocking styles' connection limit and graceful
//! shutdown). The servers themselves use real sockets, which loom cannot
//! model; their limit and shutdown are checked end to end by
//! `patterns/tests/server.rs`.
//!
//! Corners covered: two connections racing for one place (never both
//! served); shutdown racing an admission (a connection is either refused
//! or fully served before `wait_empty` returns); and the broken discipline
//! (a place given back before the connection is done), which loom must
//! catch as two connections served at once.

#![cfg(workbench_loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use loom::thread;
use patterns::primitives::admission::Admission;

/// A connection's life under a limit: admitted, served (counted while in
/// service), done. `release_early` is the broken style's mistake.
fn connection(admission: &Arc<Admission>, in_service: &AtomicUsize, release_early: bool) {
    let Some(ticket) = Admission::admit(admission) else {
        return;
    };
    if release_early {
        drop(ticket);
        let now = in_service.fetch_add(1, SeqCst) + 1;
        assert!(
            now <= 1,
            "two connections served at once under a limit of 1"
        );
        in_service.fetch_sub(1, SeqCst);
    } else {
        let now = in_service.fetch_add(1, SeqCst) + 1;
        assert!(
            now <= 1,
            "two connections served at once under a limit of 1"
        );
        in_service.fetch_sub(1, SeqCst);
        drop(ticket);
    }
}

fn two_connections_one_place(release_early: bool) {
    loom::model(move || {
        let admission = Admission::new(1);
        let in_service = Arc::new(AtomicUsize::new(0));
        let other = {
            let (admission, in_service) = (Arc::clone(&admission), Arc::clone(&in_service));
            thread::spawn(move || connection(&admission, &in_service, release_early))
        };
        connection(&admission, &in_service, release_early);
        other.join().unwrap();
        assert_eq!(admission.admitted(), 0);
    });
}

#[test]
fn the_limit_is_never_exceeded() {
    two_connections_one_place(false);
}

#[test]
#[should_panic(expected = "two connections served at once")]
fn releasing_the_place_early_is_caught() {
    two_connections_one_place(true);
}

#[test]
fn shutdown_waits_for_an_admitted_connection_or_refuses_it() {
    loom::model(|| {
        let admission = Admission::new(1);
        let served = Arc::new(AtomicBool::new(false));
        let admitted = Arc::new(AtomicBool::new(false));
        let client = {
            let (admission, served, admitted) = (
                Arc::clone(&admission),
                Arc::clone(&served),
                Arc::clone(&admitted),
            );
            thread::spawn(move || {
                if let Some(ticket) = Admission::admit(&admission) {
                    admitted.store(true, SeqCst);
                    served.store(true, SeqCst); // the connection's whole life
                    drop(ticket);
                }
            })
        };
        admission.close();
        admission.wait_empty();
        // Whatever was admitted was served before `wait_empty` returned.
        if admitted.load(SeqCst) {
            assert!(served.load(SeqCst), "shutdown returned mid-connection");
        }
        assert!(
            Admission::admit(&admission).is_none(),
            "admitted after close"
        );
        client.join().unwrap();
    });
}

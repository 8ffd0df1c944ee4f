//! loom models of the routing table: a reader racing a writer that replaces
//! a two-slot table; every facade-based style from the registry. For the
//! seqlock these are the models that matter: its two fences are what make
//! a reader's second look at the sequence mean anything, and only a
//! checker of the memory model (not a stress test on x86, whose loads are
//! never reordered with each other) can show a reader the stale value a
//! missing fence allows.

#![cfg(workbench_loom)]

use loom::future::block_on;
use loom::sync::Arc;
use loom::sync::atomic::AtomicBool;
use loom::sync::atomic::Ordering::SeqCst;
use loom::thread;
use patterns::routes::{RouteTable, Table};

const SLOTS: usize = 2;

/// A scan and then a route, while a writer replaces version 1 with 2:
/// both answers are whole, the route is not older than the scan, and after
/// the writer is joined a read sees version 2.
fn reads_racing_a_replace_are_whole<T: RouteTable>() {
    loom::model(|| {
        let table = Arc::new(T::new(Table::new(1, SLOTS)));
        let writer = {
            let table = Arc::clone(&table);
            thread::spawn(move || block_on(table.replace(Table::new(2, SLOTS))))
        };
        let scan = block_on(table.scan());
        let route = block_on(table.route(1));
        writer.join().unwrap();
        assert!(scan.is_whole(SLOTS), "torn read: scan answered {scan:?}");
        assert!(route.is_whole(), "torn read: route answered {route:?}");
        assert!(
            route.version >= scan.version,
            "went back: a route saw version {} after a scan saw {}",
            route.version,
            scan.version
        );
        let after = block_on(table.route(0)).version;
        assert_eq!(after, 2, "stale read: version {after} after the replace");
    });
}

/// A reader that learns, through a flag the writer sets after `replace`
/// returned, that the replace is done must see the new table: the read is
/// ordered after the replace by the flag alone, with no join.
fn a_read_after_a_finished_replace_sees_it<T: RouteTable>() {
    loom::model(|| {
        let table = Arc::new(T::new(Table::new(1, SLOTS)));
        let done = Arc::new(AtomicBool::new(false));
        let writer = {
            let (table, done) = (Arc::clone(&table), Arc::clone(&done));
            thread::spawn(move || {
                block_on(table.replace(Table::new(2, SLOTS)));
                done.store(true, SeqCst);
            })
        };
        let finished = done.load(SeqCst);
        let route = block_on(table.route(0));
        writer.join().unwrap();
        assert!(route.is_whole(), "torn read: route answered {route:?}");
        if finished {
            assert_eq!(
                route.version, 2,
                "stale read: version {} after the replace had returned",
                route.version
            );
        }
    });
}

macro_rules! loom_models {
    (facade $f:ident: $ft:ty) => {
        mod $f {
            #[test]
            fn reads_racing_a_replace_are_whole() {
                super::reads_racing_a_replace_are_whole::<$ft>();
            }

            #[test]
            fn a_read_after_a_finished_replace_sees_it() {
                super::a_read_after_a_finished_replace_sees_it::<$ft>();
            }
        }
    };
    (library $l:ident: $lt:ty) => {
        loom_tests::not_modelled!($l: library);
    };
    (broken $b:ident: $bt:ty) => {
        mod $b {
            #[test]
            #[should_panic(expected = "torn read")]
            fn is_caught_reading_a_torn_table() {
                super::reads_racing_a_replace_are_whole::<$bt>();
            }
        }
    };
}

patterns::for_each_route_table!(loom_models);

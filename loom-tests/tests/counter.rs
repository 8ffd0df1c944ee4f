//! loom models of the counter: every facade-based style from the registry,
//! two clients, one operation each. loom runs each model under every
//! interleaving (up to `LOOM_MAX_PREEMPTIONS` preemptions) and every
//! outcome the memory model allows. Its limit is five threads, main
//! included: main and one spawned thread are the clients, which leaves
//! three for the implementation (the bridge spawns one per operation, the
//! pool two workers, the actor one owner).
//!
//! Library-backed styles are not here: loom can only see primitives taken
//! from `patterns::sync`.

#![cfg(workbench_loom)]

use loom::future::block_on;
use loom::sync::Arc;
use loom::thread;
use patterns::ClientId;
use patterns::counter::Counter;

/// The second client, on a thread of its own: it adds 1.
fn other_client_adds_one<C: Counter>(counter: &Arc<C>) -> thread::JoinHandle<()> {
    let counter = Arc::clone(counter);
    thread::spawn(move || block_on(counter.add(ClientId(1), 1)))
}

/// Two clients add 1 each; once both are done, the total is 2.
fn no_lost_update<C: Counter>() {
    loom::model(|| {
        let counter = Arc::new(C::new(2));
        let other = other_client_adds_one(&counter);
        block_on(counter.add(ClientId(0), 1));
        other.join().unwrap();
        let total = block_on(counter.get());
        assert_eq!(total, 2, "lost update: two adds of 1 gave {total}");
    });
}

/// A client's `get` counts its own completed add, whatever the other
/// client is doing, and counts nothing that was never added.
fn get_sees_own_add<C: Counter>() {
    loom::model(|| {
        let counter = Arc::new(C::new(2));
        let other = other_client_adds_one(&counter);
        block_on(counter.add(ClientId(0), 1));
        let seen = block_on(counter.get());
        assert!((1..=2).contains(&seen), "get after own add returned {seen}");
        other.join().unwrap();
    });
}

macro_rules! loom_models {
    (
        facade: [$($f:ident: $ft:ty,)*],
        library: [$($l:ident: $lt:ty,)*],
        torn: [$($t:ident: $tt:ty,)*],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        $(mod $f {
            #[test]
            fn no_lost_update() {
                super::no_lost_update::<$ft>();
            }

            #[test]
            fn get_sees_own_add() {
                super::get_sees_own_add::<$ft>();
            }
        })*
        // Every broken style must be caught by the lost-update model.
        $(mod $b {
            #[test]
            #[should_panic(expected = "lost update: two adds of 1 gave 1")]
            fn is_caught_losing_an_update() {
                super::no_lost_update::<$bt>();
            }
        })*
    };
}

patterns::for_each_counter!(loom_models);

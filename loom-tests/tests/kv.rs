//! loom models of the session store: two clients update the same session
//! (by 1 and by 2) while one of them also inserts a second; an update
//! racing a remove of one key; two inserts of one key; every facade-based
//! style from the registry.
//! The sharded actor's two owners and the two clients make four threads,
//! within loom's five.

#![cfg(workbench_loom)]

use loom::future::block_on;
use loom::sync::Arc;
use loom::thread;
use patterns::kv::{Session, SessionStore};

const A: u64 = 1;
const B: u64 = 2;

fn concurrent_updates_both_count<S: SessionStore>() {
    loom::model(|| {
        let store = Arc::new(S::new(4));
        block_on(store.insert(A, Session::default()));
        let other = {
            let store = Arc::clone(&store);
            thread::spawn(move || block_on(store.update(A, 1)))
        };
        block_on(store.insert(B, Session::default()));
        let mine = block_on(store.update(A, 2)).expect("A is present");
        let theirs = other.join().unwrap().expect("A is present");
        // Each update returns the session as it left it, so one of them
        // must have seen the other's: 1 then 3, or 2 then 3.
        assert!(
            matches!((theirs.hits, mine.hits), (1, 3) | (3, 2)),
            "lost write: updates of 1 and 2 answered {} and {}",
            theirs.hits,
            mine.hits
        );
        let hits = block_on(store.get(A)).expect("A is present").hits;
        assert_eq!(hits, 3, "lost write: updates of 1 and 2 gave {hits}");
        assert_eq!(block_on(store.get(B)), Some(Session::default()));
    });
}

/// An update racing a remove of the same key: whichever goes first, the
/// answers agree (the remove returns the session with or without the
/// update's hit, and the update finds the session or nothing), and a
/// removed session never comes back.
fn an_update_racing_a_remove_does_not_resurrect<S: SessionStore>() {
    loom::model(|| {
        let store = Arc::new(S::new(2));
        block_on(store.insert(A, Session::default()));
        let other = {
            let store = Arc::clone(&store);
            thread::spawn(move || block_on(store.remove(A)))
        };
        let updated = block_on(store.update(A, 1)).map(|s| s.hits);
        let removed = other.join().unwrap().map(|s| s.hits);
        assert!(
            matches!((updated, removed), (None, Some(0)) | (Some(1), Some(1))),
            "update and remove of one key answered {updated:?} and {removed:?}"
        );
        let after = block_on(store.get(A));
        assert_eq!(after, None, "a removed session came back: {after:?}");
    });
}

/// Two inserts into one empty key at once: each answers what it replaced,
/// so exactly one of them answers `None` and the other the first one's
/// session, and the store keeps the second. An insert that looks for the
/// old session and stores the new one in two steps (check-then-act) lets
/// both answer `None`.
fn two_inserts_of_one_key_see_each_other<S: SessionStore>() {
    let session = |user| Session {
        user,
        ..Session::default()
    };
    loom::model(move || {
        let store = Arc::new(S::new(2));
        let other = {
            let store = Arc::clone(&store);
            thread::spawn(move || block_on(store.insert(A, session(1))))
        };
        let mine = block_on(store.insert(A, session(2))).map(|s| s.user);
        let theirs = other.join().unwrap().map(|s| s.user);
        let last = block_on(store.get(A)).map(|s| s.user);
        assert!(
            matches!(
                (theirs, mine, last),
                (None, Some(1), Some(2)) | (Some(2), None, Some(1))
            ),
            "two inserts of one key answered {theirs:?} and {mine:?}, leaving {last:?}"
        );
    });
}

macro_rules! loom_models {
    (facade $f:ident: $ft:ty) => {
        mod $f {
            #[test]
            fn concurrent_updates_both_count() {
                super::concurrent_updates_both_count::<$ft>();
            }

            #[test]
            fn an_update_racing_a_remove_does_not_resurrect() {
                super::an_update_racing_a_remove_does_not_resurrect::<$ft>();
            }

            #[test]
            fn two_inserts_of_one_key_see_each_other() {
                super::two_inserts_of_one_key_see_each_other::<$ft>();
            }
        }
    };
    (library $l:ident: $lt:ty) => {
        loom_tests::not_modelled!($l: library);
    };
    (broken $b:ident: $bt:ty) => {
        mod $b {
            #[test]
            #[should_panic(expected = "lost write: updates of 1 and 2")]
            fn is_caught_losing_a_write() {
                super::concurrent_updates_both_count::<$bt>();
            }

            // The same split read-modify-write writes back a session that
            // a remove took out in between.
            #[test]
            #[should_panic(expected = "update and remove of one key answered Some(1) and Some(0)")]
            fn is_caught_resurrecting_a_removed_session() {
                super::an_update_racing_a_remove_does_not_resurrect::<$bt>();
            }
        }
    };
}

patterns::for_each_store!(loom_models);

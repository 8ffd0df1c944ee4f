//! shuttle models of the session store: every style shuttle can host.

use super::*;
use patterns::check::linearizability::{self, Ticks};
use patterns::check::models::{HotKey, HotOp};
use patterns::kv::{Session, SessionStore};

const HOT: u64 = 7;

/// Three clients update one session by 1, 2 and 4, twice each, and
/// each inserts a key of its own then races the others to insert a
/// shared one: the updates' answers are six distinct totals ending at
/// 14, and exactly one of the shared inserts finds the key absent.
pub fn updates_and_inserts<S: SessionStore>() {
    explore(|| {
        let store = Arc::new(S::new(8));
        block_on(store.insert(HOT, Session::default()));
        let seen = three_clients({
            let store = Arc::clone(&store);
            move |i| {
                let by = 1u64 << i;
                let mut answers = Vec::new();
                for _ in 0..2 {
                    answers.push(block_on(store.update(HOT, by)).expect("the hot key").hits);
                }
                let own = Session {
                    user: i as u64,
                    ..Session::default()
                };
                assert_eq!(block_on(store.insert(100 + i as u64, own)), None);
                let first = block_on(store.insert(50, own)).is_none();
                (answers, first)
            }
        });
        let mut answers: Vec<u64> = seen.iter().flat_map(|(a, _)| a.clone()).collect();
        answers.sort_unstable();
        answers.dedup();
        assert_eq!(
            answers.len(),
            6,
            "{}: lost write: update answers {seen:?}",
            S::STYLE
        );
        let hits = block_on(store.get(HOT)).expect("the hot key").hits;
        assert_eq!(
            hits,
            14,
            "{}: lost write: updates of 14 in all gave {hits}",
            S::STYLE
        );
        let firsts = seen.iter().filter(|(_, first)| *first).count();
        assert_eq!(
            firsts,
            1,
            "{}: {firsts} inserts of one key found it absent",
            S::STYLE
        );
        for i in 0..3u64 {
            assert_eq!(block_on(store.get(100 + i)).map(|s| s.user), Some(i));
        }
    });
}

/// Three clients update one session and read it, each operation recorded
/// with its call and return ticks: the history must be linearizable
/// against the same sequential model the stress tests use ([`HotKey`]),
/// which holds every read and every update's answer to one order of the
/// operations that agrees with the schedule.
pub fn hot_key_history<S: SessionStore>() {
    explore(|| {
        let store = Arc::new(S::new(8));
        block_on(store.insert(HOT, Session::default()));
        let ticks = Arc::new(Ticks::default());
        let histories = three_clients({
            let (store, ticks) = (Arc::clone(&store), Arc::clone(&ticks));
            move |client| {
                [HotOp::Update(1), HotOp::Get, HotOp::Update(1)].map(|op| {
                    ticks.record(client, op, |op| {
                        match op {
                            HotOp::Update(n) => block_on(store.update(HOT, n)),
                            HotOp::Get => block_on(store.get(HOT)),
                        }
                        .map(|session| session.hits)
                    })
                })
            }
        });
        let history: Vec<_> = histories.into_iter().flatten().collect();
        if let Err(report) = linearizability::check::<HotKey>(0, &history) {
            panic!("{}: {report}", S::STYLE);
        }
    });
}

macro_rules! hosted {
    (facade $f:ident: $ft:ty) => {
        host!($f: $ft => updates_and_inserts, hot_key_history);
    };
    (library $l:ident: $lt:ty) => {
        library!([updates_and_inserts, hot_key_history] $l: $lt);
    };
    (broken $b:ident: $bt:ty) => {
        mod $b {
            #[test]
            #[should_panic(expected = "lost write")]
            fn updates_and_inserts() {
                super::updates_and_inserts::<$bt>();
            }

            /// The history check catches the lost write on its own.
            #[test]
            #[should_panic(expected = "not linearizable")]
            fn hot_key_history() {
                super::hot_key_history::<$bt>();
            }
        }
    };
}

patterns::for_each_store!(hosted);

//! shuttle models of the counter: every style shuttle can host.

use super::*;
use patterns::ClientId;
use patterns::counter::Counter;

/// Three clients add 1, 2 and 4 twice each, reading after each add: a
/// read counts at least the reader's own adds so far and never more
/// than was added, one client's reads never go backwards, and at the
/// end the total is 14.
pub fn adds_and_reads<C: Counter>() {
    explore(|| {
        let counter = Arc::new(C::new(3));
        let reads = three_clients({
            let counter = Arc::clone(&counter);
            move |i| {
                let amount = 1u64 << i;
                (1..=2)
                    .map(|round| {
                        block_on(counter.add(ClientId(i), amount));
                        (round * amount, block_on(counter.get()))
                    })
                    .collect::<Vec<_>>()
            }
        });
        for client in reads {
            for (own, seen) in &client {
                assert!(
                    seen >= own,
                    "{}: lost update: a get after own adds of {own} returned {seen}",
                    C::STYLE
                );
                assert!(
                    *seen <= 14,
                    "{}: a get returned {seen}, more than was added",
                    C::STYLE
                );
            }
            assert!(
                client[0].1 <= client[1].1,
                "{}: one client's gets went backwards: {} then {}",
                C::STYLE,
                client[0].1,
                client[1].1
            );
        }
        let total = block_on(counter.get());
        assert_eq!(
            total,
            14,
            "{}: lost update: the adds give 14, got {total}",
            C::STYLE
        );
    });
}

macro_rules! hosted {
    (facade $f:ident: $ft:ty) => {
        host!($f: $ft => adds_and_reads);
    };
    (library $l:ident: $lt:ty) => {
        library!([adds_and_reads] $l: $lt);
    };
    // A lost update shows as a total short of 14, a read short of
    // the reader's own adds, or a read below an earlier one (an
    // add that overwrote a larger total), whichever the failing
    // schedule hits first.
    (broken $b:ident: $bt:ty) => {
        mod $b {
            #[test]
            fn adds_and_reads() {
                let report = loom_tests::failure_of(super::adds_and_reads::<$bt>);
                assert!(
                    report.contains("lost update") || report.contains("went backwards"),
                    "unexpected report: {report}"
                );
            }
        }
    };
}

patterns::for_each_counter!(hosted);

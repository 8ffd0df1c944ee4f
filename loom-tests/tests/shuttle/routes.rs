//! shuttle models of the routing table: every style shuttle can host.

use super::*;
use patterns::routes::{RouteTable, Table};

const SLOTS: usize = 4;

/// Client 0 replaces version 1 with 2 and then 3; clients 1 and 2 each
/// scan and route twice: every answer is whole, a reader's versions never
/// go back, and after every client is done a read sees version 3.
pub fn readers_beside_a_writer<T: RouteTable>() {
    explore(|| {
        let table = Arc::new(T::new(Table::new(1, SLOTS)));
        let seen = three_clients({
            let table = Arc::clone(&table);
            move |i| {
                if i == 0 {
                    for version in [2, 3] {
                        block_on(table.replace(Table::new(version, SLOTS)));
                    }
                    return Vec::new();
                }
                let mut versions = Vec::new();
                for key in 0..2u64 {
                    let scan = block_on(table.scan());
                    assert!(
                        scan.is_whole(SLOTS),
                        "{}: torn read: scan answered {scan:?}",
                        T::STYLE
                    );
                    let route = block_on(table.route(key + i as u64));
                    assert!(
                        route.is_whole(),
                        "{}: torn read: route answered {route:?}",
                        T::STYLE
                    );
                    versions.extend([scan.version, route.version]);
                }
                versions
            }
        });
        for versions in &seen {
            assert!(
                versions.is_sorted(),
                "{}: went back: one reader saw versions {versions:?}",
                T::STYLE
            );
        }
        let last = block_on(table.route(0)).version;
        assert_eq!(
            last,
            3,
            "{}: stale read: version {last} at the end",
            T::STYLE
        );
    });
}

macro_rules! hosted {
    (facade $f:ident: $ft:ty) => {
        host!($f: $ft => readers_beside_a_writer);
    };
    (library $l:ident: $lt:ty) => {
        library!([readers_beside_a_writer] $l: $lt);
    };
    (broken $b:ident: $bt:ty) => {
        mod $b {
            #[test]
            #[should_panic(expected = "torn read")]
            fn readers_beside_a_writer() {
                super::readers_beside_a_writer::<$bt>();
            }
        }
    };
}

patterns::for_each_route_table!(hosted);

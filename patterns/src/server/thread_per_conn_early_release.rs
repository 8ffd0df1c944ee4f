//! **thread_per_conn_early_release** (broken): `thread_per_conn` with its
//! connection limit's place given back as soon as the connection's thread
//! starts, instead of when the connection closes. One line moved; the limit
//! then counts threads being started, not connections being served, and
//! a server told to serve 8 at once serves every client that comes.
//!
//! The limit test (limit 8: the ninth client must get no answer until one
//! of the eight closes) must catch it, and asserts that it does.

// ANCHOR: alias
pub type EarlyReleaseServer = crate::server::thread_per_conn::ThreadPerConn<true>;
// ANCHOR_END: alias

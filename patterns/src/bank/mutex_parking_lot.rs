//! **mutex_parking_lot**: the `mutex` style with `parking_lot::Mutex`: one
//! lock over every balance. parking_lot's lock is one byte, spins a little
//! longer before parking, and hands waiters off through a global table of
//! queues rather than a futex per lock; uncontended it costs what std's does.
//! Same semantics, so the difference in the table is the lock alone.

use crate::sync::parking_lot::Mutex;

use crate::bank::{
    AccountId, Bank, BankError, check_account, check_transfer, move_money, opening_total, sum,
};

// ANCHOR: state
pub struct ParkingLotMutexBank {
    balances: Mutex<Box<[u64]>>,
    accounts: usize,
}
// ANCHOR_END: state

impl Bank for ParkingLotMutexBank {
    const STYLE: &'static str = "mutex_parking_lot";

    fn new(opening: &[u64]) -> Self {
        opening_total(opening);
        ParkingLotMutexBank {
            balances: Mutex::new(opening.into()),
            accounts: opening.len(),
        }
    }

    // ANCHOR: transfer
    async fn transfer(&self, from: AccountId, to: AccountId, amount: u64) -> Result<(), BankError> {
        check_transfer(self.accounts, from, to, amount)?;
        let mut balances = self.balances.lock();
        let [f, t] = balances
            .get_disjoint_mut([from.0, to.0])
            .expect("checked: two different known accounts");
        move_money(from, f, t, amount)
    }
    // ANCHOR_END: transfer

    async fn balance(&self, account: AccountId) -> Result<u64, BankError> {
        check_account(self.accounts, account)?;
        Ok(self.balances.lock()[account.0])
    }

    async fn audit(&self) -> u64 {
        sum(self.balances.lock().iter().copied())
    }
}

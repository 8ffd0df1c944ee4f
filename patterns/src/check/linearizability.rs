//! A linearizability checker for recorded histories (Wing and Gong's
//! search, with the memo of Lowe's refinement, as porcupine and Lincheck
//! do): is there an order of the operations, consistent with real time
//! (an operation that returned before another was called comes first),
//! in which the sequential model gives every recorded result?
//!
//! Stress tests record each operation's call and return instants and its
//! result (shuttle models, their logical ticks: [`Ticks`]); a history is
//! checked per independent part (one key of a map), which keeps each
//! search small. A failure names the point where the
//! search got stuck: the model's state and the operations that were
//! candidates to come next, none of which the model agrees with.

use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::hash::Hash;
use std::time::Instant;

/// One completed operation, as a client saw it.
#[derive(Clone, Debug)]
pub struct Event<Op, Ret> {
    pub client: usize,
    /// The instant just before the call (nanoseconds since the history's
    /// start, or a model checker's [`Ticks`])...
    pub call: u64,
    /// ...and just after the result came back.
    pub ret: u64,
    pub op: Op,
    pub result: Ret,
}

/// The sequential specification: a state and what each operation does to
/// it and answers.
pub trait Model {
    type State: Clone + Eq + Hash + Debug;
    type Op: Clone + Debug;
    type Ret: PartialEq + Clone + Debug;

    fn step(state: &Self::State, op: &Self::Op) -> (Self::State, Self::Ret);
}

/// A clock for recording: nanoseconds since it was made.
#[derive(Clone, Copy)]
pub struct Clock(Instant);

impl Clock {
    pub fn start() -> Clock {
        Clock(Instant::now())
    }

    pub fn now(&self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
}

/// A logical clock for a model checker's schedules, where real time means
/// nothing: each reading is one more than the last, across every thread.
/// Under shuttle only one thread runs at a time, so the readings follow the
/// schedule: an operation that returned before another was called has the
/// smaller ticks, which is all the check asks of a clock. (A std atomic,
/// not the facade's: the clock must not add scheduling points of its own.)
#[derive(Default)]
pub struct Ticks(std::sync::atomic::AtomicU64);

impl Ticks {
    pub fn now(&self) -> u64 {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    }

    /// Performs `op` as `client`, and returns it as an event with the
    /// ticks before the call and after the result.
    pub fn record<Op: Copy, Ret>(
        &self,
        client: usize,
        op: Op,
        perform: impl FnOnce(Op) -> Ret,
    ) -> Event<Op, Ret> {
        let call = self.now();
        let result = perform(op);
        let ret = self.now();
        Event {
            client,
            call,
            ret,
            op,
            result,
        }
    }
}

/// A linearized set of operations: the first pending one, and which of
/// those after it are done (see `check`).
type Memo = (usize, Vec<u64>);

/// The most operations one search takes (a part of a history): beyond it
/// the check says so rather than search for minutes.
pub const MAX_EVENTS: usize = 65_536;

/// Checks `history` against `M` from `initial`. `Ok(())` if linearizable;
/// otherwise a report of where every order fails.
pub fn check<M: Model>(initial: M::State, history: &[Event<M::Op, M::Ret>]) -> Result<(), String> {
    if history.len() > MAX_EVENTS {
        return Err(format!(
            "{} operations: more than the checker takes at once ({MAX_EVENTS})",
            history.len()
        ));
    }
    let mut events: Vec<&Event<M::Op, M::Ret>> = history.iter().collect();
    events.sort_by_key(|e| (e.call, e.ret));
    let n = events.len();
    if n == 0 {
        return Ok(());
    }
    let mut done = vec![false; n];
    // (which operations are linearized, the state then): seen before, and
    // it led nowhere.
    let mut dead_ends: HashMap<Memo, HashSet<M::State>> = HashMap::new();
    // The operations that may come next after a prefix: every pending one
    // called before the earliest return among the pending ones. Events are
    // sorted by call, so the scan starts at the first pending one and stops
    // at the first call after that earliest return: a window about as wide
    // as the number of clients, not the whole history. Returns the window's
    // start too, from which the next prefix's scan starts.
    let candidates = |done: &[bool], from: usize| -> (Vec<usize>, usize) {
        let first = (from..n).find(|&i| !done[i]).unwrap_or(n);
        let mut earliest_return = u64::MAX;
        let mut options = Vec::new();
        for i in first..n {
            if events[i].call > earliest_return {
                break;
            }
            if !done[i] {
                earliest_return = earliest_return.min(events[i].ret);
                options.push(i);
            }
        }
        // The one that returned first is tried first: it is the most
        // constrained (everything called after its return must follow it),
        // and an operation that stayed pending for long (a client that
        // waited for a lock, or was preempted, with eight clients on two
        // cores) usually took effect late in its span, not at its call.
        options.sort_by_key(|&i| events[i].ret);
        (options, first)
    };
    // Which operations a prefix has linearized, in little space: all of
    // them before the first pending one, and a bit for each after it up to
    // the last call before that one's return (an operation linearized while
    // the first pending one was pending must have been called before that
    // one returned). So a key is about as long as the window, not the
    // history, and the memo stays cheap on long histories.
    let memo = |done: &[bool], from: usize| -> Memo {
        let first = (from..n).find(|&i| !done[i]).unwrap_or(n);
        let mut bits = Vec::new();
        let mut i = first;
        while i < n && events[i].call <= events[first].ret {
            if (i - first) % 64 == 0 {
                bits.push(0u64);
            }
            if done[i] {
                *bits.last_mut().unwrap() |= 1 << ((i - first) % 64);
            }
            i += 1;
        }
        (first, bits)
    };
    // The longest prefix found, for the report: its length, the state
    // after it, and the operations that could have come next.
    let (options, first) = candidates(&done, 0);
    let mut deepest = (0usize, initial.clone(), options.clone());
    // An explicit stack, a frame per linearized prefix: the state after
    // it, the operations that may come next, the next one to try, and
    // where its window starts.
    let mut stack: Vec<(M::State, Vec<usize>, usize, usize)> = vec![(initial, options, 0, first)];
    let mut linearized = 0;
    while let Some((state, options, next, first)) = stack.last_mut() {
        if *next == options.len() {
            // Every option failed from here: remember it, step back and
            // undo the choice that led here.
            dead_ends
                .entry(memo(&done, *first))
                .or_default()
                .insert(state.clone());
            stack.pop();
            if let Some((_, options, next, _)) = stack.last() {
                done[options[*next - 1]] = false;
                linearized -= 1;
            }
            continue;
        }
        let choice = options[*next];
        *next += 1;
        let (after, answer) = M::step(state, &events[choice].op);
        if answer != events[choice].result {
            continue;
        }
        done[choice] = true;
        linearized += 1;
        if linearized == n {
            return Ok(());
        }
        if dead_ends
            .get(&memo(&done, *first))
            .is_some_and(|states| states.contains(&after))
        {
            done[choice] = false;
            linearized -= 1;
            continue;
        }
        let (next_options, next_first) = candidates(&done, *first);
        if linearized > deepest.0 {
            deepest = (linearized, after.clone(), next_options.clone());
        }
        stack.push((after, next_options, 0, next_first));
    }
    let (count, stuck_state, stuck) = deepest;
    let mut report = format!(
        "not linearizable: at best {count} of {n} operations can be ordered; then the state is \
         {stuck_state:?} and none of the operations that could come next gives its recorded result:"
    );
    for i in stuck {
        let e = events[i];
        let (_, model_says) = M::step(&stuck_state, &e.op);
        report.push_str(&format!(
            "\n  client {} {:?} called at {} ns, returned at {} ns with {:?} (the model would answer {:?})",
            e.client, e.op, e.call, e.ret, e.result, model_says
        ));
    }
    Err(report)
}

//! The little statistics a verdict needs: medians and quantiles, and a
//! distribution-free confidence interval for the median of paired ratios
//! (a style's round against its baseline's round of the same interleaved
//! pass), so that a ratio is published with the noise it carries.

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    quantile(values, 0.5)
}

/// The `q` quantile of `values`, interpolated between neighbours; `None`
/// for no values.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    quantile_of_sorted(&sorted, q)
}

fn quantile_of_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let at = q.clamp(0.0, 1.0) * last as f64;
    let (low, high) = (at.floor() as usize, at.ceil() as usize);
    Some(sorted[low] + (sorted[high] - sorted[low]) * (at - low as f64))
}

/// Fewer values than this give no meaningful quartiles.
pub const MIN_FOR_SPREAD: usize = 5;

/// The interquartile range of `values` over their median; `None` with
/// fewer than [`MIN_FOR_SPREAD`] values or a median of zero.
pub fn spread(values: &[f64]) -> Option<f64> {
    if values.len() < MIN_FOR_SPREAD {
        return None;
    }
    let median = median(values).filter(|m| *m != 0.0)?;
    Some((quantile(values, 0.75)? - quantile(values, 0.25)?) / median)
}

/// A ratio's median and a confidence interval for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub median: f64,
    pub low: f64,
    pub high: f64,
    /// The probability that such an interval holds the true median.
    pub coverage: f64,
}

/// The coverage aimed at: the narrowest interval of order statistics that
/// reaches it, or (with too few pairs to reach it) the range.
pub const COVERAGE: f64 = 0.95;

/// The median of `ratios` and a distribution-free interval for it, from
/// the order statistics of the pairs: `[x(k), x(n+1-k)]` for the largest
/// `k` whose coverage, `1 - 2 P(Bin(n, 1/2) < k)`, is at least
/// [`COVERAGE`]; with five pairs or fewer no `k` reaches it, and the
/// interval is their range, with the coverage it has (94% with five, 75%
/// with three). It assumes nothing about the ratios' distribution (a
/// bimodal cell is common here), only that the pairs are independent
/// draws, which the interleaving is for. (A percentile bootstrap of the
/// median, tried first, gives the same range at these sizes while
/// claiming 95%.)
pub fn median_interval(ratios: &[f64]) -> Option<Interval> {
    let median = median(ratios)?;
    let mut sorted = ratios.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let coverage_of = |k: usize| 1.0 - 2.0 * binomial_half_below(n, k);
    let k = (1..=n.div_ceil(2))
        .rev()
        .find(|&k| coverage_of(k) >= COVERAGE)
        .unwrap_or(1);
    Some(Interval {
        median,
        low: sorted[k - 1],
        high: sorted[n - k],
        coverage: coverage_of(k),
    })
}

/// `P(Bin(n, 1/2) < k)`.
fn binomial_half_below(n: usize, k: usize) -> f64 {
    let mut choose = 1.0f64; // C(n, 0)
    let mut sum = 0.0;
    for i in 0..k.min(n + 1) {
        sum += choose;
        choose = choose * (n - i) as f64 / (i + 1) as f64;
    }
    sum / 2f64.powi(n as i32)
}

/// Pairs fewer than this carry no verdict: a ratio is shown, but never
/// marked below the bar or above the floor. With five, the interval (the
/// pairs' range) covers the median with 94% probability; with fewer, 88%
/// or less.
pub const MIN_PAIRS: usize = 5;

/// Jain's fairness index of per-client counts: 1 when every client did
/// the same, `1/n` when one did everything.
pub fn jain(counts: &[u64]) -> f64 {
    let sum: f64 = counts.iter().map(|&c| c as f64).sum();
    let squares: f64 = counts.iter().map(|&c| (c as f64).powi(2)).sum();
    if squares == 0.0 {
        return 1.0;
    }
    sum * sum / (counts.len() as f64 * squares)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_quartiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(spread(&[1.0, 2.0, 3.0, 4.0]), None, "too few for quartiles");
        assert_eq!(spread(&[1.0, 2.0, 3.0, 4.0, 5.0]), Some(2.0 / 3.0));
    }

    #[test]
    fn the_interval_holds_the_median_and_widens_with_disagreement() {
        let tight = median_interval(&[0.50, 0.51, 0.52, 0.49, 0.50]).unwrap();
        assert_eq!(tight.median, 0.50);
        assert!(tight.low <= 0.50 && tight.high >= 0.50, "{tight:?}");
        assert!(tight.high < 0.53 && tight.low > 0.48, "{tight:?}");
        let loose = median_interval(&[0.3, 0.9, 0.5, 1.2, 0.6]).unwrap();
        assert_eq!(
            (loose.low, loose.high),
            (0.3, 1.2),
            "five pairs: their range"
        );
        assert!((loose.coverage - 0.9375).abs() < 1e-12, "{loose:?}");
        // Nine pairs: the second smallest to the second largest, 96%.
        let nine: Vec<f64> = (1..=9).map(f64::from).collect();
        let wide = median_interval(&nine).unwrap();
        assert_eq!((wide.low, wide.median, wide.high), (2.0, 5.0, 8.0));
        assert!(
            (wide.coverage - (1.0 - 20.0 / 512.0)).abs() < 1e-12,
            "{wide:?}"
        );
        assert!(median_interval(&[0.4]).unwrap().coverage <= 0.0);
        assert_eq!(median_interval(&[]), None);
    }

    #[test]
    fn jain_index_of_fair_and_starved_clients() {
        assert_eq!(jain(&[5, 5, 5, 5]), 1.0);
        assert_eq!(jain(&[8, 0, 0, 0]), 0.25);
        assert!((jain(&[3, 1]) - 0.8).abs() < 1e-12);
        assert_eq!(jain(&[0, 0]), 1.0);
    }
}

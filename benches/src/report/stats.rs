//! The little statistics a verdict needs: medians and quantiles, and a
//! bootstrap confidence interval for the median of paired ratios (a
//! style's round against its baseline's round of the same interleaved
//! pass), so that a ratio is published with the noise it carries.

use patterns::primitives::rng::SplitMix64;

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

/// A ratio's median and its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub median: f64,
    pub low: f64,
    pub high: f64,
}

/// Bootstrap resamples for [`median_interval`]: enough that the
/// interval's ends move by less than the figures' printed precision.
const RESAMPLES: usize = 2_000;

/// The median of `ratios` and a 95% percentile-bootstrap interval for it:
/// the pairs are resampled with replacement, the median of each resample
/// taken, and the 2.5th and 97.5th percentiles of those medians are the
/// interval. Seeded, so a report rebuilt from the same samples shows the
/// same interval. With five pairs the interval is close to the range of
/// the middle three; one pair gives an interval of zero width, which the
/// report never treats as a verdict (it asks for [`MIN_PAIRS`]).
pub fn median_interval(ratios: &[f64]) -> Option<Interval> {
    let median = median(ratios)?;
    let mut rng = SplitMix64::new(0x005E_ED0F_B007 ^ ratios.len() as u64);
    let mut medians = Vec::with_capacity(RESAMPLES);
    let mut resample = vec![0.0; ratios.len()];
    for _ in 0..RESAMPLES {
        for slot in resample.iter_mut() {
            *slot = ratios[(rng.next_u64() % ratios.len() as u64) as usize];
        }
        resample.sort_by(f64::total_cmp);
        medians.push(quantile_of_sorted(&resample, 0.5)?);
    }
    medians.sort_by(f64::total_cmp);
    Some(Interval {
        median,
        low: quantile_of_sorted(&medians, 0.025)?,
        high: quantile_of_sorted(&medians, 0.975)?,
    })
}

/// Pairs fewer than this carry no verdict: a ratio is shown, but never
/// marked below the bar.
pub const MIN_PAIRS: usize = 3;

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
        assert!(loose.high - loose.low > 0.3, "{loose:?}");
        assert!(loose.low >= 0.3 && loose.high <= 1.2, "{loose:?}");
        // Seeded: the same pairs, the same interval.
        assert_eq!(median_interval(&[0.3, 0.9, 0.5, 1.2, 0.6]).unwrap(), loose);
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

//! Histogram bins with round edges, for the score distributions.

use crate::figures::Bin;

/// Bin widths are one of these times a power of ten, so that edges read as round numbers.
const NICE_MANTISSAS: [f64; 4] = [1.0, 2.0, 2.5, 5.0];

/// More bins than this could not be drawn legibly; the cap also bounds what [`bins`] allocates.
pub const MAX_BINS: usize = 1000;

/// A histogram of the finite `values` (NaN and ±∞ are ignored) in at most `max_bins` bins.
///
/// Bins are `[from, to)` except the last, which also holds its upper edge, so every finite value
/// is counted exactly once. Their width is 1, 2, 2.5 or 5 × 10^k, the narrowest that fits, and
/// the first edge is the multiple of that width at or below the smallest value. No values give
/// no bins; values that are all equal give one bin `[v, v]`. `max_bins` is kept within
/// 1..=[`MAX_BINS`]; when no round width fits (one bin over values on both sides of zero) the
/// single bin is `[min, max]`.
pub fn bins(values: &[f64], max_bins: usize) -> Vec<Bin> {
    let finite: Vec<f64> = values.iter().copied().filter(|value| value.is_finite()).collect();
    let Some((min, max)) = finite.iter().fold(None, |range: Option<(f64, f64)>, &value| match range {
        None => Some((value, value)),
        Some((min, max)) => Some((min.min(value), max.max(value))),
    }) else {
        return Vec::new();
    };
    let total = finite.len() as i64;
    if min == max {
        // `+ 0.0` turns a negative zero into zero.
        return vec![Bin { from: min + 0.0, to: max + 0.0, count: total }];
    }
    let edges = nice_edges(min, max, max_bins.clamp(1, MAX_BINS)).unwrap_or_else(|| vec![min, max]);
    // `edges` has at least two entries; values at or above an inner edge belong to a later bin.
    let inner = &edges[1..edges.len() - 1];
    let mut counts = vec![0_i64; edges.len() - 1];
    for value in finite {
        counts[inner.partition_point(|&edge| edge <= value)] += 1;
    }
    edges.windows(2).zip(counts).map(|(pair, count)| Bin { from: pair[0], to: pair[1], count }).collect()
}

/// The edges of the narrowest nice width that covers `min..=max` in at most `max_bins` bins.
fn nice_edges(min: f64, max: f64, max_bins: usize) -> Option<Vec<f64>> {
    let range = max - min;
    if !range.is_finite() || range <= 0.0 {
        return None;
    }
    // A fitting width is at least range / max_bins; any width of at least the range fits in two.
    let narrowest = (range / max_bins as f64).log10().floor() as i32 - 1;
    let widest = range.log10().ceil() as i32 + 1;
    (narrowest..=widest)
        .flat_map(|exponent| NICE_MANTISSAS.map(|mantissa| NiceWidth { mantissa, exponent }))
        .find_map(|width| width.edges(min, max, max_bins))
}

/// A bin width of `mantissa` × 10^`exponent`.
#[derive(Debug, Clone, Copy)]
struct NiceWidth {
    mantissa: f64,
    exponent: i32,
}

impl NiceWidth {
    /// The `index`-th multiple of the width, rounded once so that 3 × 0.1 is exactly `0.3`.
    fn multiple(self, index: f64) -> f64 {
        let scaled = index * self.mantissa;
        let power = 10_f64.powi(self.exponent.abs());
        let edge = if self.exponent >= 0 { scaled * power } else { scaled / power };
        edge + 0.0
    }

    /// The edges of the bins of this width over `min..=max`, if there are at most `max_bins`.
    fn edges(self, min: f64, max: f64, max_bins: usize) -> Option<Vec<f64>> {
        let width = self.multiple(1.0);
        if !width.is_finite() || width <= 0.0 {
            return None;
        }
        // The divisions below round, so each estimate is checked against the edges themselves.
        let mut first = (min / width).floor();
        if self.multiple(first) > min {
            first -= 1.0;
        }
        if self.multiple(first + 1.0) <= min {
            first += 1.0;
        }
        let mut count = ((max - self.multiple(first)) / width).ceil().max(1.0);
        if count > 1.0 && self.multiple(first + count - 1.0) >= max {
            count -= 1.0;
        }
        if self.multiple(first + count) < max {
            count += 1.0;
        }
        if count > max_bins as f64 {
            return None;
        }
        let edges: Vec<f64> = (0..=count as usize).map(|step| self.multiple(first + step as f64)).collect();
        let covers = edges.first().is_some_and(|&low| low <= min) && edges.last().is_some_and(|&high| high >= max);
        let increasing = edges.windows(2).all(|pair| pair[0] < pair[1] && pair[1].is_finite());
        (covers && increasing).then_some(edges)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- bins

    /// Checks what every histogram from [`bins`] must satisfy and returns it.
    fn check_bins(values: &[f64], max_bins: usize) -> Vec<Bin> {
        let result = bins(values, max_bins);
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        assert!(
            result.len() <= max_bins.clamp(1, MAX_BINS),
            "{} bins for at most {max_bins}: {result:?}",
            result.len()
        );
        assert_eq!(result.iter().map(|bin| bin.count).sum::<i64>(), finite.len() as i64, "{result:?}");
        for pair in result.windows(2) {
            assert_eq!(pair[0].to, pair[1].from, "bins are contiguous: {result:?}");
            assert!(pair[0].from < pair[0].to, "{result:?}");
        }
        // Each value lies in the bin that counted it: [from, to), the last bin closed.
        for (index, bin) in result.iter().enumerate() {
            let is_last = index + 1 == result.len();
            let inside = finite.iter().filter(|&&v| bin.from <= v && (v < bin.to || (is_last && v <= bin.to))).count();
            assert_eq!(inside as i64, bin.count, "bin {bin:?} of {result:?}");
        }
        result
    }

    fn edges(result: &[Bin]) -> Vec<f64> {
        result.iter().map(|bin| bin.from).chain(result.last().map(|bin| bin.to)).collect()
    }

    fn is_nice(width: f64) -> bool {
        // The tolerance absorbs the rounding in `to - from`.
        let power = 10_f64.powf((width.log10() + 1e-9).floor());
        NICE_MANTISSAS.iter().any(|m| ((width / power) - m).abs() < 1e-9)
    }

    /// The nice width just below `width`.
    fn narrower(width: f64) -> NiceWidth {
        let exponent = (width.log10() + 1e-9).floor() as i32;
        let mantissa = width / 10_f64.powi(exponent);
        match NICE_MANTISSAS.iter().rposition(|&m| m < mantissa - 1e-9) {
            Some(index) => NiceWidth { mantissa: NICE_MANTISSAS[index], exponent },
            None => NiceWidth { mantissa: 5.0, exponent: exponent - 1 },
        }
    }

    #[test]
    fn no_finite_values_give_no_bins() {
        assert_eq!(bins(&[], 10), Vec::new());
        assert_eq!(bins(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY], 10), Vec::new());
    }

    #[test]
    fn equal_values_give_one_bin_at_that_value() {
        assert_eq!(bins(&[3.5], 10), vec![Bin { from: 3.5, to: 3.5, count: 1 }]);
        assert_eq!(bins(&[-2.0, -2.0, f64::NAN, -2.0], 10), vec![Bin { from: -2.0, to: -2.0, count: 3 }]);
        assert_eq!(bins(&[-0.0], 10), vec![Bin { from: 0.0, to: 0.0, count: 1 }]);
        assert!(bins(&[-0.0], 10)[0].from.is_sign_positive());
    }

    #[test]
    fn integers_get_unit_bins_and_the_maximum_falls_in_the_last() {
        let values: Vec<f64> = (0..=10).map(f64::from).collect();
        let result = check_bins(&values, 10);
        assert_eq!(edges(&result), (0..=10).map(f64::from).collect::<Vec<_>>());
        assert_eq!(result.iter().map(|bin| bin.count).collect::<Vec<_>>(), [1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
    }

    #[test]
    fn values_on_edges_go_to_the_bin_they_open() {
        let result = check_bins(&[0.0, 2.5, 5.0, 7.5, 10.0], 4);
        assert_eq!(edges(&result), [0.0, 2.5, 5.0, 7.5, 10.0]);
        assert_eq!(result.iter().map(|bin| bin.count).collect::<Vec<_>>(), [1, 1, 1, 2]);
    }

    #[test]
    fn negative_values_start_at_the_multiple_below() {
        let result = check_bins(&[-3.7, -1.2, 0.4, 2.9], 5);
        assert_eq!(edges(&result), [-4.0, -2.0, 0.0, 2.0, 4.0]);
        assert_eq!(result.iter().map(|bin| bin.count).collect::<Vec<_>>(), [1, 1, 1, 1]);
        assert!(result.iter().all(|bin| !(bin.from == 0.0 && bin.from.is_sign_negative())));
    }

    #[test]
    fn decimal_edges_are_the_round_numbers_themselves() {
        let result = check_bins(&[0.1, 0.2, 0.3], 10);
        let found = edges(&result);
        assert!(found.contains(&0.3) && found.contains(&0.1), "{found:?}");
        assert!(is_nice(result[0].to - result[0].from));
    }

    #[test]
    fn nan_and_infinities_are_ignored() {
        let result = check_bins(&[1.0, f64::NAN, 4.0, f64::INFINITY, 9.0, f64::NEG_INFINITY], 5);
        assert_eq!(result.iter().map(|bin| bin.count).sum::<i64>(), 3);
        assert!(result.iter().all(|bin| bin.from.is_finite() && bin.to.is_finite()));
    }

    #[test]
    fn zero_or_one_bin_still_counts_everything() {
        let result = check_bins(&[-0.5, 0.5], 1);
        assert_eq!(result, vec![Bin { from: -0.5, to: 0.5, count: 2 }]);
        let result = check_bins(&[1.0, 3.0], 0);
        assert_eq!(result.len(), 1);
    }

    #[test]
    fn widths_are_nice_and_the_first_edge_is_a_multiple_below_the_minimum() {
        // A small deterministic generator: no `rand` needed for spread-out inputs.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1_u64 << 53) as f64
        };
        for case in 0..300 {
            let scale = 10_f64.powi(case % 9 - 4);
            let offset = (next() - 0.5) * 20.0 * scale;
            let values: Vec<f64> = (0..1 + case % 40).map(|_| offset + (next() - 0.3) * scale).collect();
            let max_bins = 2 + (case as usize % 15);
            let result = check_bins(&values, max_bins);
            if result.len() < 2 {
                continue;
            }
            let width = result[0].to - result[0].from;
            assert!(is_nice(width), "width {width} of {result:?}");
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let expected_first = (min / width).floor() * width;
            assert!((result[0].from - expected_first).abs() <= width * 1e-9, "{result:?} for min {min}");
            assert!(result[0].from <= min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert!(narrower(width).edges(min, max, max_bins).is_none(), "a narrower width fits: {result:?}");
        }
    }

    #[test]
    fn extreme_ranges_do_not_panic() {
        check_bins(&[-f64::MAX, f64::MAX], 10);
        check_bins(&[0.0, f64::MIN_POSITIVE], 10);
        check_bins(&[1e300, 1.0000001e300], 10);
        check_bins(&[1.0, 1.0 + f64::EPSILON], 3);
        check_bins(&[1e300, 1.1e300], usize::MAX);
    }
}
